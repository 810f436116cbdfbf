// A Wrangler file's triggers.crons, rules, find_additional_modules and base_dir, and the module types
// the bundler makes from them (as `wrangler deploy` uploads them); every bad value named by file and field.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundleApp } from "../../provider/bundle/bundle-app.js";
import { effectiveRules } from "../../provider/bundle/module-rules.js";
import { readWranglerConfig } from "../../provider/bundle/wrangler-config.js";
import { tempDir } from "../helpers/host.js";

/** A WebAssembly module exporting add(a, b) (i32). */
const ADD_WASM = Buffer.from(
  "0061736d0100000001070160027f7f017f030201000707010361646400000a09010700200020016a0b",
  "hex",
);

const root = tempDir("dw-wrangler-modules-");
afterAll(() => root.remove());
let n = 0;
function folder(files: Record<string, string | Buffer>): string {
  const dir = join(root.path, `app${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [f, content] of Object.entries(files)) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), content);
  }
  return dir;
}
const refusal = (files: Record<string, string>) => {
  try {
    readWranglerConfig(folder(files));
    return "accepted";
  } catch (e) {
    return (e as Error).message;
  }
};

describe("triggers.crons", () => {
  it("become the App's crons", () => {
    const dir = folder({
      "wrangler.jsonc": `{ "main": "i.js", "triggers": { "crons": ["*/5 * * * *", "0 18 * * friL"] } }`,
    });
    expect(readWranglerConfig(dir)?.crons).toEqual(["*/5 * * * *", "0 18 * * friL"]);
  });

  it("a malformed cron, too many, or a repeated one, names the file, the field and what is allowed", () => {
    expect(refusal({ "wrangler.jsonc": `{ "triggers": { "crons": ["*/5 * * *"] } }` })).toMatch(
      /^wrangler\.jsonc: triggers\.crons\[0\]: '\*\/5 \* \* \*' has 4 fields; Cloudflare takes exactly five; allowed: five fields 'minute hour day-of-month month weekday'/,
    );
    expect(refusal({ "wrangler.toml": `[triggers]\ncrons = ["0 0 * * 8"]\n` })).toMatch(
      /^wrangler\.toml: triggers\.crons\[0\]: '0 0 \* \* 8' weekday numbers must be 1-7 \(1 = Sunday\)/,
    );
    expect(refusal({ "wrangler.json": `{ "triggers": { "crons": ["@daily"] } }` })).toMatch(/nicknames/);
    expect(refusal({ "wrangler.json": `{ "triggers": { "crons": ["61 * * * *"] } }` })).toMatch(
      /triggers\.crons\[0\]: '61 \* \* \* \*' .*minute/,
    );
    const six = JSON.stringify({ triggers: { crons: [1, 2, 3, 4, 5, 6].map((m) => `${m} * * * *`) } });
    expect(refusal({ "wrangler.json": six })).toMatch(/triggers\.crons: at most 5 cron triggers are allowed per app/);
    expect(refusal({ "wrangler.json": `{ "triggers": { "crons": ["1 * * * *", "1 * * * *"] } }` })).toMatch(
      /triggers\.crons: must not repeat/,
    );
    expect(refusal({ "wrangler.json": `{ "triggers": { "cron": [] } }` })).toMatch(/triggers: /);
  });
});

describe("limits.cpu_ms", () => {
  it("maps to the quota's cpuMs, within its bounds", () => {
    expect(readWranglerConfig(folder({ "wrangler.json": `{ "limits": { "cpu_ms": 3000 } }` }))?.cpuMs).toBe(3000);
    expect(refusal({ "wrangler.json": `{ "limits": { "cpu_ms": 900000 } }` })).toMatch(/limits\.cpu_ms: /);
    expect(refusal({ "wrangler.json": `{ "limits": { "subrequests": 5 } }` })).toMatch(/limits: /);
  });
});

describe("module rules", () => {
  it("a custom rule's type must be one the platform takes, with globs", () => {
    expect(refusal({ "wrangler.jsonc": `{ "rules": [{ "type": "PythonModule", "globs": ["**/*.py"] }] }` })).toMatch(
      /^wrangler\.jsonc: rules\[0\]\.type: 'PythonModule' is not a module type this platform takes; allowed: ESModule, CommonJS, Text, Data, CompiledWasm/,
    );
    expect(refusal({ "wrangler.jsonc": `{ "rules": [{ "type": "Text", "globs": [] }] }` })).toMatch(
      /rules\[0\]\.globs: must list at least one glob/,
    );
    expect(refusal({ "wrangler.jsonc": `{ "base_dir": "../elsewhere" }` })).toMatch(
      /base_dir: '\.\.\/elsewhere' must be a folder inside the app folder/,
    );
    expect(refusal({ "wrangler.jsonc": `{ "find_additional_modules": "yes" }` })).toMatch(/find_additional_modules: /);
  });

  it("a type's rules end at its first rule without fallthrough; the defaults come last", () => {
    expect(effectiveRules([{ type: "Text", globs: ["**/*.md"] }]).map((r) => r.globs[0])).toEqual([
      "**/*.md",
      "**/*.bin",
      "**/*.wasm",
    ]);
    expect(effectiveRules([{ type: "Text", globs: ["**/*.md"], fallthrough: true }]).map((r) => r.globs[0])).toEqual([
      "**/*.md",
      "**/*.txt",
      "**/*.bin",
      "**/*.wasm",
    ]);
  });

  it("a .wasm import is a CompiledWasm module and a .bin import a Data module of their own, named by content", async () => {
    const dir = folder({
      "index.js": `import add from "./lib/add.wasm"; import blob from "./blob.bin";
        export default { fetch() { return new Response(String(new WebAssembly.Instance(add).exports.add(1, 2)) + blob.byteLength); } };`,
      "lib/add.wasm": ADD_WASM,
      "blob.bin": Buffer.from([1, 2, 3]),
    });
    const bundle = await bundleApp(dir);
    const names = Object.keys(bundle.modules);
    const wasm = names.find((m) => m.endsWith("-add.wasm"))!;
    const bin = names.find((m) => m.endsWith("-blob.bin"))!;
    expect(bundle.modules[wasm]).toEqual({ type: "wasm", content: ADD_WASM.toString("base64") });
    expect(bundle.modules[bin]).toEqual({ type: "data", content: "AQID" });
    expect(wasm).toMatch(/^[0-9a-f]{16}-add\.wasm$/);
    expect(bundle.modules["index.js"]!.content).toContain(`"./${wasm}"`);
    expect(bundle.inputs).toEqual(expect.arrayContaining(["index.js", "lib/add.wasm", "blob.bin"]));
  });

  it("custom rules: a .md file as Text, a .dat file as Data", async () => {
    const dir = folder({
      "wrangler.jsonc": `{ "main": "index.js", "rules": [{ "type": "Text", "globs": ["**/*.md"] }, { "type": "Data", "globs": ["**/*.dat"] }] }`,
      "index.js": `import readme from "./README.md"; import raw from "./x.dat"; export default { fetch() { return new Response(readme + raw.byteLength); } };`,
      "README.md": "# read me",
      "x.dat": "abcd",
    });
    const w = readWranglerConfig(dir)!;
    const bundle = await bundleApp(dir, w.moduleOptions);
    expect(bundle.modules["index.js"]!.content).toContain("# read me");
    expect(
      Object.values(bundle.modules)
        .map((m) => m.type)
        .sort(),
    ).toEqual(["data", "js"]);
  });

  it("find_additional_modules with base_dir: every matching file under it, named by its path there", async () => {
    const dir = folder({
      "wrangler.jsonc": `{ "main": "src/index.js", "find_additional_modules": true, "base_dir": "src" }`,
      "src/index.js": `import en from "./lang/en.bin"; export default { async fetch() { return new Response(String(en.byteLength)); } };`,
      "src/lang/en.bin": "hello",
      "src/lang/fr.bin": "bonjour",
      "src/notes/a.txt": "a note",
    });
    const w = readWranglerConfig(dir)!;
    const bundle = await bundleApp(join(dir, "src/index.js"), w.moduleOptions);
    expect(Object.fromEntries(Object.entries(bundle.modules).map(([k, m]) => [k, m.type]))).toEqual({
      "index.js": "js",
      "lang/en.bin": "data",
      "lang/fr.bin": "data",
      "notes/a.txt": "text",
    });
    expect(bundle.modules["index.js"]!.content).toContain(`"./lang/en.bin"`);
  });
});
