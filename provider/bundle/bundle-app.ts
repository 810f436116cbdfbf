/**
 * bundle/: from an app folder to content-addressed modules: bundle-app.ts (this file), bundle-cache.ts
 * (bundles reused while their inputs are unchanged), source-files.ts (the files a bundle was made of).
 *
 * Bundles an app's source with esbuild into the modules the host stores:
 * one ES module, deterministic (same source, same bytes, same hash on any
 * machine: paths are relative to the app folder, no source maps, no
 * timestamps, whitespace and comments dropped), with the Workers platform
 * settings. Bundles are kept in a
 * content-addressed cache so state holds only hashes.
 */
import type { BuildOptions, BuildResult, Message } from "esbuild";
import { createHash } from "node:crypto";
import { existsSync, mkdirSync, readFileSync, renameSync, statSync, writeFileSync } from "node:fs";
import { basename, dirname, join, relative, resolve } from "node:path";
import {
  type ExtraModule,
  type ModuleOptions,
  baseDirOf,
  findAdditionalModules,
  moduleRulesPlugin,
} from "./module-rules.js";

/** Entry files tried, in order, when `source` is a folder. */
export const ENTRY_CANDIDATES = [
  "index.ts",
  "index.js",
  "index.mjs",
  "src/index.ts",
  "src/index.js",
  "worker.ts",
  "worker.js",
];

/** The module name of a bundle's output. */
export const BUNDLE_MODULE = "index.js";

export class BundleError extends Error {
  /** `file:line:column: message`, one per esbuild error. */
  readonly locations: string[];
  constructor(message: string, locations: string[] = []) {
    super(message);
    this.name = "BundleError";
    this.locations = locations;
  }
}

export interface Bundle {
  /** Module name to its content: the ES module text, and the modules of Data, CompiledWasm (base64) and found Text files. */
  modules: Record<string, { type: "js" | ExtraModule["type"]; content: string }>;
  mainModule: string;
  /** The app folder (absolute) and the entry relative to it. */
  root: string;
  entry: string;
  /** Files that went into the bundle, relative to root, sorted. */
  inputs: string[];
  /** The bundle's export names, sorted (esbuild's metafile). */
  exports: string[];
  /** The `node:*` modules it imports, sorted. */
  nodeImports: string[];
}

/** Finds the entry file of `source` (a folder or a file), or says what was looked for. */
export function resolveEntry(source: string): { root: string; entry: string } {
  const abs = resolve(source);
  if (!existsSync(abs)) throw new BundleError(`source '${source}' does not exist`);
  if (statSync(abs).isFile()) return { root: dirname(abs), entry: basename(abs) };
  for (const candidate of ENTRY_CANDIDATES) {
    if (existsSync(join(abs, candidate))) return { root: abs, entry: candidate };
  }
  throw new BundleError(
    `source '${source}' is a folder without an entry file; add one of: ${ENTRY_CANDIDATES.join(", ")}`,
  );
}

function location(m: Message, root: string): string {
  const file = m.location?.file ? relative(root, resolve(root, m.location.file)) || m.location.file : "(unknown file)";
  const where = m.location ? `${file}:${m.location.line}:${m.location.column + 1}` : file;
  return `${where}: ${m.text}`;
}

/** esbuild's settings for every app (the entry and folder aside): part of what a cached bundle was made with. */
export const BUILD_OPTIONS = {
  bundle: true,
  format: "esm",
  // Wrangler's default module rules for text: `import page from "./page.html"` is the file's text.
  loader: { ".html": "text", ".txt": "text", ".sql": "text" },
  platform: "neutral",
  target: "es2023",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  external: ["cloudflare:*", "node:*"],
  write: false,
  metafile: true,
  sourcemap: false,
  // Whitespace and comments never change the bundle (so a reformat is no change in preview);
  // names stay, so stack traces stay readable.
  minifyWhitespace: true,
  minifyIdentifiers: false,
  minifySyntax: false,
  legalComments: "none",
  charset: "utf8",
  logLevel: "silent",
  outfile: BUNDLE_MODULE,
} satisfies BuildOptions;

/**
 * Bundles `source` into one ES module, plus a module per Data and
 * CompiledWasm file it imports (module-rules.ts). Syntax and import errors
 * name file:line:column.
 */
export async function bundleApp(source: string, options: ModuleOptions = {}): Promise<Bundle> {
  const { root, entry } = resolveEntry(source);
  const baseDir = baseDirOf(root, entry, options);
  const extra = options.findAdditionalModules ? findAdditionalModules(root, baseDir, options) : new Map();
  let result: BuildResult<typeof BUILD_OPTIONS>;
  try {
    // Loaded on first use: a preview whose bundles are all cached never needs it.
    const { build } = await import("esbuild");
    result = await build({
      ...BUILD_OPTIONS,
      absWorkingDir: root,
      entryPoints: [entry],
      plugins: [moduleRulesPlugin(root, baseDir, options, extra)],
    });
  } catch (e) {
    const errors = (e as { errors?: Message[] }).errors ?? [];
    const locations = errors.map((m) => location(m, root));
    throw new BundleError(`cannot bundle '${source}': ${locations.join("; ") || (e as Error).message}`, locations);
  }
  const out = result.outputFiles.find((f) => f.path.endsWith(".js"));
  if (!out) throw new BundleError(`cannot bundle '${source}': esbuild produced no JavaScript`);
  const meta = Object.entries(result.metafile.outputs).find(([path]) => path.endsWith(".js"))?.[1];
  const nodeImports = new Set((meta?.imports ?? []).filter((i) => i.path.startsWith("node:")).map((i) => i.path));
  const modules: Bundle["modules"] = { [BUNDLE_MODULE]: { type: "js", content: out.text } };
  for (const [name, m] of [...extra].sort(([a], [b]) => a.localeCompare(b))) {
    if (name === BUNDLE_MODULE)
      throw new BundleError(`cannot bundle '${source}': ${m.file} would be named ${name}, the bundle's own module`);
    modules[name] = { type: m.type, content: m.content };
  }
  const files = new Set([...Object.keys(result.metafile.inputs), ...[...extra.values()].map((m) => m.file)]);
  return {
    modules,
    mainModule: BUNDLE_MODULE,
    root,
    entry,
    inputs: [...files].sort(),
    exports: [...(meta?.exports ?? [])].sort(),
    nodeImports: [...nodeImports].sort(),
  };
}

/** A module's bytes: its text, or its base64 content decoded (data, wasm). */
export function moduleBytes(m: { type: string; content: string }): Buffer {
  return m.type === "data" || m.type === "wasm" ? Buffer.from(m.content, "base64") : Buffer.from(m.content, "utf8");
}

/** A content-addressed store of module contents: `<dir>/<sha256>`. */
export class ModuleCache {
  /** Writes go to `dir`; reads try `dir`, then each of `alsoReads`. */
  constructor(
    readonly dir: string,
    readonly alsoReads: string[] = [],
  ) {}

  private path(sha256: string, dir = this.dir): string {
    return join(dir, sha256.slice(0, 2), sha256);
  }

  put(content: string | Uint8Array): string {
    const bytes = typeof content === "string" ? Buffer.from(content, "utf8") : Buffer.from(content);
    const sha256 = createHash("sha256").update(bytes).digest("hex");
    const path = this.path(sha256);
    if (!existsSync(path)) {
      mkdirSync(dirname(path), { recursive: true });
      // Write then rename, so a reader never sees half a file.
      const tmp = `${path}.${process.pid}.tmp`;
      writeFileSync(tmp, bytes);
      renameSync(tmp, path);
    }
    return sha256;
  }

  /** The content, or undefined when missing or when it no longer matches its hash. */
  get(sha256: string): Buffer | undefined {
    for (const dir of [this.dir, ...this.alsoReads]) {
      const path = this.path(sha256, dir);
      if (!existsSync(path)) continue;
      const bytes = readFileSync(path);
      if (createHash("sha256").update(bytes).digest("hex") === sha256) return bytes;
    }
    return undefined;
  }
}
