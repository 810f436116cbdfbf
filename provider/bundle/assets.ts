/**
 * An app's static assets folder, read as Wrangler reads one for Workers
 * Static Assets: every file under it, as `/<path>`, except what
 * `.assetsignore` lists (gitignore syntax) and the files Cloudflare never
 * serves (`.assetsignore`, `_headers`, `_redirects`). Each file is hashed
 * and typed as Wrangler types it (the `mime` table, `; charset=utf-8` on
 * text types). Limits are Cloudflare's: 25 MiB per file, and the count.
 */
import { createHash } from "node:crypto";
import { existsSync, readFileSync, readdirSync, statSync } from "node:fs";
import { join, relative, sep } from "node:path";
import ignore from "ignore";
import mime from "mime";
import { ASSET_LIMITS, type AssetFile } from "../shared/schema/index.js";

/** Read by Cloudflare as configuration, never served; this platform does not apply them yet. */
const META_FILES = ["_headers", "_redirects"];
const IGNORE_FILE = ".assetsignore";

export class AssetsError extends Error {
  override name = "AssetsError";
}

/** A folder's files as a version's asset table, and where each content is on disk (by sha256). */
export interface AssetFolder {
  files: Record<string, AssetFile>;
  /** sha256 → the absolute path of a file with that content. */
  paths: Record<string, string>;
  /** What was read and not applied (`_headers`, `_redirects`). */
  warnings: string[];
}

/** Wrangler's content type of a file: none for an extension `mime` does not know. */
export function assetContentType(path: string): string | null {
  const type = mime.getType(path);
  if (!type) return null;
  return type.startsWith("text/") && !type.includes("charset") ? `${type}; charset=utf-8` : type;
}

/**
 * Reads `dir` (absolute, or relative to the working folder). `field` names
 * where it came from in errors (`wrangler.jsonc: assets.directory`).
 */
export function readAssetFolder(dir: string, field: string): AssetFolder {
  if (!existsSync(dir) || !statSync(dir).isDirectory()) {
    throw new AssetsError(`${field}: '${dir}' is not a folder; give the folder of files to serve as static assets`);
  }
  const ignoreFile = join(dir, IGNORE_FILE);
  const ignored = ignore().add([`/${IGNORE_FILE}`, ...META_FILES.map((f) => `/${f}`)]);
  if (existsSync(ignoreFile)) ignored.add(readFileSync(ignoreFile, "utf8").split("\n"));
  const out: AssetFolder = { files: {}, paths: {}, warnings: [] };
  for (const f of META_FILES) {
    if (existsSync(join(dir, f))) out.warnings.push(`${f} is not applied by this platform (it is not served either)`);
  }
  for (const abs of walk(dir)) {
    const rel = relative(dir, abs).split(sep).join("/");
    if (ignored.ignores(rel)) continue;
    const size = statSync(abs).size;
    if (size > ASSET_LIMITS.maxFileBytes) {
      throw new AssetsError(
        `${field}: '${rel}' is ${(size / 1024 / 1024).toFixed(1)} MiB; Cloudflare serves assets of at most 25 MiB each`,
      );
    }
    const sha256 = createHash("sha256").update(readFileSync(abs)).digest("hex");
    out.files[`/${rel}`] = { sha256, size, contentType: assetContentType(rel) };
    out.paths[sha256] = abs;
    if (Object.keys(out.files).length > ASSET_LIMITS.maxFiles) {
      throw new AssetsError(
        `${field}: '${dir}' holds more than ${ASSET_LIMITS.maxFiles.toLocaleString("en")} files; at most that many assets are served per version`,
      );
    }
  }
  return out;
}

/** Every file under `dir`, in a stable order (symbolic links followed, as Wrangler does). */
function* walk(dir: string): Generator<string> {
  for (const name of readdirSync(dir).sort()) {
    const abs = join(dir, name);
    const st = statSync(abs);
    if (st.isDirectory()) yield* walk(abs);
    else if (st.isFile()) yield abs;
  }
}
