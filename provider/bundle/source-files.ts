/**
 * An app's source files: the files esbuild read for its bundle (the
 * metafile's inputs) under the app folder, as text. The App provider keeps
 * them beside each version on the host, and the pull-request comment diffs
 * them against the working tree. Files under node_modules are listed by
 * package only; files outside the app folder are left out.
 */
import { readFileSync, statSync } from "node:fs";
import { join, relative, resolve } from "node:path";
import { bundleApp, type Bundle } from "./bundle-app.js";
import { SOURCE_LIMITS } from "../shared/schema/index.js";

/** A file larger than this is left out (listed in `skipped`). */
export const MAX_SOURCE_FILE_BYTES = 1024 * 1024;

export interface SourceFiles {
  /** Path relative to the app folder ('/' separators) to its UTF-8 text, in path order. */
  files: Record<string, string>;
  /** Packages bundled from node_modules, e.g. `hono` or `@scope/pkg`, sorted. */
  packages: string[];
  /** Inputs left out: outside the app folder, too large, not text, or past the limits. */
  skipped: string[];
}

function packageOf(path: string): string | undefined {
  const parts = path.split("/");
  const i = parts.lastIndexOf("node_modules");
  if (i < 0) return undefined;
  const name = parts[i + 1] ?? "";
  return name.startsWith("@") ? `${name}/${parts[i + 2] ?? ""}` : name;
}

/** The source files of a bundle made by bundleApp. */
export function sourcesOf(bundle: Pick<Bundle, "root" | "inputs">): SourceFiles {
  const files: Record<string, string> = {};
  const packages = new Set<string>();
  const skipped: string[] = [];
  let bytes = 0;
  for (const input of bundle.inputs) {
    const pkg = packageOf(input);
    if (pkg !== undefined) {
      packages.add(pkg);
      continue;
    }
    const abs = resolve(bundle.root, input);
    const path = relative(bundle.root, abs).split("\\").join("/");
    if (path.startsWith("../") || path === ".." || path === "") {
      skipped.push(input);
      continue;
    }
    let size: number;
    try {
      size = statSync(abs).size;
    } catch {
      // A virtual input (esbuild's own), not a file.
      continue;
    }
    if (
      size > MAX_SOURCE_FILE_BYTES ||
      bytes + size > SOURCE_LIMITS.maxBytes ||
      Object.keys(files).length >= SOURCE_LIMITS.maxFiles
    ) {
      skipped.push(path);
      continue;
    }
    const buf = readFileSync(abs);
    const text = buf.toString("utf8");
    if (buf.includes(0) || !Buffer.from(text, "utf8").equals(buf)) {
      skipped.push(path);
      continue;
    }
    files[path] = text;
    bytes += size;
  }
  const sorted = Object.fromEntries(Object.entries(files).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)));
  return { files: sorted, packages: [...packages].sort(), skipped };
}

/** Bundles `{root, entry}` (relative to `cwd`) and returns the bundle and its source files. */
export async function appSources(
  source: { root: string; entry: string },
  cwd = process.cwd(),
): Promise<{ bundle: Bundle } & SourceFiles> {
  const root = resolve(cwd, source.root);
  // An entry in a subfolder (src/index.ts) was found from the folder: bundle the folder again, so paths stay relative to it.
  const bundle = await bundleApp(source.entry.includes("/") ? root : join(root, source.entry));
  return { bundle, ...sourcesOf(bundle) };
}
