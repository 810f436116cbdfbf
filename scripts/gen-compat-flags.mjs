// Derives the compatibility flags workerd knows from the workerd binary we
// depend on, and writes them to provider/shared/schema/compat-flags.generated.ts.
//
// workerd validates flags against its own Cap'n Proto schema, the struct
// CompatibilityFlags of src/workerd/io/compatibility-date.capnp: each field
// carries its enable flag, disable flag, enable date and an `experimental`
// mark as annotations. The capnp compiler embeds that schema in the binary as
// one encoded node (a root struct pointer, then the node's id). This script
// finds the node by its id and reads it with a minimal Cap'n Proto reader, so
// the list is exactly what that workerd accepts, never typed by hand.
//
//   node scripts/gen-compat-flags.mjs          write the file
//   node scripts/gen-compat-flags.mjs --check  exit 1 if the file is not what the binary says
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
export const OUT = join(root, "provider/shared/schema/compat-flags.generated.ts");

/** The CompatibilityFlags struct's node id and its annotations' ids (compatibility-date.capnp). */
const NODE_ID = 0x8f8c1b68151b6cefn;
const DISPLAY_NAME = "workerd/io/compatibility-date.capnp:CompatibilityFlags";
const ANNOTATION = {
  enableFlag: 0xb6dabbc87cd1b03en,
  disableFlag: 0xd145cf1adc42577cn,
  enableDate: 0x91a5d5d7244cf6d0n,
  enableAllDates: 0x9a1d37c8030d9418n,
  experimental: 0xe3e5a63e76284d88n,
};

/** The workerd binary and version that the `workerd` package resolves to here. */
export function workerdBinary() {
  const require = createRequire(join(root, "package.json"));
  const version = JSON.parse(readFileSync(require.resolve("workerd/package.json"), "utf8")).version;
  const { default: path } = require("workerd");
  return { path, version };
}

/** A reader of one Cap'n Proto segment (a generated schema constant has one, so there are no far pointers). */
class Segment {
  constructor(buf, base) {
    this.buf = buf;
    this.base = base;
  }
  word(i) {
    return this.buf.readBigUInt64LE(this.base + i * 8);
  }
  /** The struct a pointer at word `at` points to: its data and pointer sections, in words. */
  struct(at) {
    const w = this.word(at);
    if (w === 0n) return null;
    if ((w & 3n) !== 0n) throw new Error(`word ${at}: not a struct pointer`);
    return {
      data: at + 1 + signedOffset(w),
      dataWords: Number((w >> 32n) & 0xffffn),
      ptrs: at + 1 + signedOffset(w) + Number((w >> 32n) & 0xffffn),
      ptrCount: Number(w >> 48n),
    };
  }
  u64(s, index) {
    return index < s.dataWords ? this.word(s.data + index) : 0n;
  }
  u16(s, index) {
    return index < s.dataWords * 4 ? this.buf.readUInt16LE(this.base + s.data * 8 + index * 2) : 0;
  }
  ptr(s, index) {
    return index < s.ptrCount ? s.ptrs + index : null;
  }
  text(at) {
    if (at === null || this.word(at) === 0n) return null;
    const w = this.word(at);
    if ((w & 3n) !== 1n || ((w >> 32n) & 7n) !== 2n) throw new Error(`word ${at}: not a text pointer`);
    const start = this.base + (at + 1 + signedOffset(w)) * 8;
    return this.buf.toString("utf8", start, start + Number(w >> 35n) - 1);
  }
  /** The elements of a list of structs (composite list) a pointer at word `at` points to. */
  structList(at) {
    if (at === null || this.word(at) === 0n) return [];
    const w = this.word(at);
    if ((w & 3n) !== 1n || ((w >> 32n) & 7n) !== 7n) throw new Error(`word ${at}: not a list of structs`);
    const tagAt = at + 1 + signedOffset(w);
    const tag = this.word(tagAt);
    const count = Number((tag >> 2n) & 0x3fffffffn);
    const dataWords = Number((tag >> 32n) & 0xffffn);
    const ptrCount = Number(tag >> 48n);
    const size = dataWords + ptrCount;
    return Array.from({ length: count }, (_, i) => {
      const data = tagAt + 1 + i * size;
      return { data, dataWords, ptrs: data + dataWords, ptrCount };
    });
  }
}

function signedOffset(w) {
  const raw = Number((w & 0xffffffffn) >> 2n);
  return raw >= 0x20000000 ? raw - 0x40000000 : raw;
}

/** Finds the CompatibilityFlags node in the binary: a root pointer to a struct whose first word is its id. */
function findNode(buf) {
  const id = Buffer.alloc(8);
  id.writeBigUInt64LE(NODE_ID);
  for (let at = buf.indexOf(id); at !== -1; at = buf.indexOf(id, at + 1)) {
    if (at < 8 || at % 8 !== 0) continue;
    const seg = new Segment(buf, at - 8);
    const root = seg.word(0);
    if ((root & 0xffffffffn) !== 0n || ((root >> 32n) & 0xffffn) < 5n || root >> 48n < 6n) continue;
    const node = seg.struct(0);
    try {
      if (seg.text(seg.ptr(node, 0)) === DISPLAY_NAME) return { seg, node };
    } catch {
      // Bytes that only look like the id: keep looking.
    }
  }
  throw new Error(`no ${DISPLAY_NAME} schema node found in the workerd binary`);
}

/** Every field of CompatibilityFlags that has a flag: its name and annotations. */
export function readCompatFields(buf) {
  const { seg, node } = findNode(buf);
  // Node: pointer 3 is struct.fields; Field: pointer 0 the name, pointer 1 the annotations.
  // Annotation: data word 0 its id, pointer 0 its value; Value: u16 0 the kind (12: text), pointer 0 the text.
  const fields = [];
  for (const f of seg.structList(seg.ptr(node, 3))) {
    const field = { field: seg.text(seg.ptr(f, 0)), enable: null, disable: null, date: null, experimental: false };
    for (const a of seg.structList(seg.ptr(f, 1))) {
      const id = seg.u64(a, 0);
      const value = () => {
        const v = seg.struct(seg.ptr(a, 0));
        return v && seg.u16(v, 0) === 12 ? seg.text(seg.ptr(v, 0)) : null;
      };
      if (id === ANNOTATION.enableFlag) field.enable = value();
      else if (id === ANNOTATION.disableFlag) field.disable = value();
      else if (id === ANNOTATION.enableDate) field.date = value();
      else if (id === ANNOTATION.enableAllDates) field.date = "all";
      else if (id === ANNOTATION.experimental) field.experimental = true;
    }
    if (field.enable || field.disable) fields.push(field);
  }
  if (fields.length < 50)
    throw new Error(`only ${fields.length} flagged fields read: the schema node is not what was expected`);
  return fields;
}

/** The generated module's text. */
export function renderModule(fields, version) {
  const rows = fields.map((f) => JSON.stringify([f.field, f.enable, f.disable, f.date, f.experimental ? 1 : 0]));
  return `// Generated by scripts/gen-compat-flags.mjs from workerd ${version}'s own schema: do not edit.
// Run \`npm run build\` after changing the workerd dependency.

/** The workerd release these flags were read from. */
export const WORKERD_VERSION = "${version}";

/**
 * One row per field of workerd's CompatibilityFlags that has a flag:
 * [field, enable flag, disable flag, enable date ("all": every date), experimental (1)].
 */
export const WORKERD_COMPAT_FIELDS: readonly (readonly [string, string | null, string | null, string | null, 0 | 1])[] = [
${rows.map((r) => `  ${r},`).join("\n")}
];
`;
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const { path, version } = workerdBinary();
  const text = renderModule(readCompatFields(readFileSync(path)), version);
  if (process.argv.includes("--check")) {
    const current = (() => {
      try {
        return readFileSync(OUT, "utf8");
      } catch {
        return "";
      }
    })();
    if (current !== text) {
      console.error(`${OUT} is not what workerd ${version} knows: run node scripts/gen-compat-flags.mjs`);
      process.exit(1);
    }
  } else {
    writeFileSync(OUT, text);
  }
}
