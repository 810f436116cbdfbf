/**
 * Reuses an app's last bundle while nothing it was made of changed, so a
 * preview of a fleet does not run esbuild once per unchanged app. A bundle
 * is reused only when, since it was made: every input file keeps its size
 * and modification time; every folder holding an input keeps its
 * modification time (a file added beside an import can change what it
 * resolves to); the tsconfig/jsconfig/package.json files from the app folder
 * up keep theirs (or stay absent); esbuild's version and our build options
 * are the same; and the module's content is still in the cache. Anything
 * else bundles again. The App provider never trusts this record: it
 * re-bundles whenever it needs contents it cannot find (app-ops.ts).
 */
import { createHash } from "node:crypto";
import { mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { createRequire } from "node:module";
import {
  BUILD_OPTIONS,
  BUNDLE_MODULE,
  bundleApp,
  moduleBytes,
  resolveEntry,
  type Bundle,
  type ModuleCache,
} from "./bundle-app.js";
import type { ModuleOptions } from "./module-rules.js";

const CONFIG_FILES = ["tsconfig.json", "jsconfig.json", "package.json"];
/** Files changed this close to a build are not trusted to be what it read (coarse file system clocks). */
const RACY_MS = 2000;

/** What a bundle was made from: path (absolute) to size and mtime; null for a file that was absent. */
type Stamps = Record<string, [size: number, mtimeMs: number] | null>;

interface BundleRecord {
  /** esbuild's version and our options: a change in either makes every record stale. */
  recipe: string;
  stamps: Stamps;
  inputs: string[];
  exports: string[];
  nodeImports: string[];
  sha256: string;
  /** The bundle's other modules (Data, CompiledWasm): name to type and content hash. */
  extra?: Record<string, { type: Bundle["modules"][string]["type"]; sha256: string }>;
}

/** esbuild's version from its package.json: importing esbuild costs every program ~20 ms, and a cached bundle needs no esbuild. */
const esbuildVersion = (createRequire(import.meta.url)("esbuild/package.json") as { version: string }).version;
const RECIPE = createHash("sha256")
  .update(JSON.stringify([esbuildVersion, BUILD_OPTIONS, "module-rules-1"]))
  .digest("hex");

function stamp(path: string): [number, number] | null {
  try {
    const s = statSync(path);
    return [s.size, s.mtimeMs];
  } catch {
    return null;
  }
}

/** The files and folders whose change could change the bundle. */
function stampsOf(root: string, inputs: string[]): Stamps {
  const stamps: Stamps = {};
  for (const input of inputs) {
    const abs = resolve(root, input);
    const s = stamp(abs);
    // esbuild's virtual inputs are not files: nothing to watch.
    if (s === null) continue;
    stamps[abs] = s;
    stamps[dirname(abs)] ??= stamp(dirname(abs));
  }
  for (let dir = root; ; dir = dirname(dir)) {
    for (const name of CONFIG_FILES) stamps[join(dir, name)] = stamp(join(dir, name));
    if (dirname(dir) === dir) break;
  }
  return stamps;
}

/**
 * The bundles this process read or made, by record path: many apps built from
 * one folder (a fleet of copies) read and hash it once. Still checked against
 * the stamps on every use, so a long-lived process (the Automation API) sees
 * a change.
 */
const seen = new Map<string, { stamps: Stamps; bundle: Bundle }>();

const unchanged = (stamps: Stamps) =>
  Object.entries(stamps).every(([path, was]) => JSON.stringify(stamp(path)) === JSON.stringify(was));

/**
 * bundleApp, or the bundle it made last time for this entry when nothing
 * it was made of changed (see above). The module's content is in `cache`
 * either way.
 */
export async function bundleAppCached(
  source: string,
  cache: ModuleCache,
  options: ModuleOptions = {},
): Promise<Bundle> {
  const { root, entry } = resolveEntry(source);
  const recordPath = recordPathOf(cache, join(root, entry), options);
  const known = seen.get(recordPath);
  if (known && unchanged(known.stamps)) return known.bundle;
  let record: BundleRecord | undefined;
  try {
    record = JSON.parse(readFileSync(recordPath, "utf8")) as BundleRecord;
  } catch {
    // No record yet, or an unreadable one: bundle.
  }
  // A record from before exports were kept is not reused.
  if (record?.recipe === RECIPE && Array.isArray(record.exports) && unchanged(record.stamps)) {
    const content = cache.get(record.sha256);
    const extra = extraModules(record, cache);
    if (content && extra) {
      const bundle: Bundle = {
        modules: { [BUNDLE_MODULE]: { type: "js", content: content.toString("utf8") }, ...extra },
        mainModule: BUNDLE_MODULE,
        root,
        entry,
        inputs: record.inputs,
        exports: record.exports,
        nodeImports: record.nodeImports ?? [],
      };
      seen.set(recordPath, { stamps: record.stamps, bundle });
      return bundle;
    }
  }
  const started = Date.now();
  const bundle = await bundleApp(source, options);
  const stamps = stampsOf(root, bundle.inputs);
  const sha256 = cache.put(bundle.modules[BUNDLE_MODULE]!.content);
  const extra: NonNullable<BundleRecord["extra"]> = {};
  for (const [name, m] of Object.entries(bundle.modules)) {
    if (name === BUNDLE_MODULE) continue;
    extra[name] = { type: m.type, sha256: cache.put(moduleBytes(m)) };
  }
  // A file changed during the build (or just before it, within the clock's
  // grain) may be newer than what esbuild read: keep no record, bundle again next time.
  // Modules found under base_dir may be added anywhere below it: no record either.
  if (options.findAdditionalModules || Object.values(stamps).some((s) => s !== null && s[1] >= started - RACY_MS))
    return bundle;
  writeRecord(recordPath, {
    recipe: RECIPE,
    stamps,
    inputs: bundle.inputs,
    exports: bundle.exports,
    nodeImports: bundle.nodeImports,
    sha256,
    extra,
  });
  seen.set(recordPath, { stamps, bundle });
  return bundle;
}

/** A record's other modules from the cache, or null when one is missing. */
function extraModules(record: BundleRecord, cache: ModuleCache): Bundle["modules"] | null {
  const out: Bundle["modules"] = {};
  for (const [name, m] of Object.entries(record.extra ?? {})) {
    const bytes = cache.get(m.sha256);
    if (!bytes) return null;
    out[name] = { type: m.type, content: m.type === "text" ? bytes.toString("utf8") : bytes.toString("base64") };
  }
  return out;
}

/** Writes a record atomically (write, then rename). */
function writeRecord(recordPath: string, record: BundleRecord): void {
  mkdirSync(dirname(recordPath), { recursive: true });
  const tmp = `${recordPath}.${process.pid}.tmp`;
  writeFileSync(tmp, JSON.stringify(record));
  renameSync(tmp, recordPath);
}

/** Where the record of an entry bundled with these options is kept. */
function recordPathOf(cache: ModuleCache, entry: string, options: ModuleOptions): string {
  const key = createHash("sha256")
    .update(entry)
    .update(Object.keys(options).length ? JSON.stringify(options) : "")
    .digest("hex");
  return join(cache.dir, "bundles", `${key}.json`);
}
