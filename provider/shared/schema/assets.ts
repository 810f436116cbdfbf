/**
 * An app's static assets, as Workers Static Assets takes them: the serving
 * options of Wrangler's `assets` field, and the files of one version (path
 * → content digest, size and content type). Contents travel apart, by
 * digest (`POST /apps/:app/assets/missing`, then `POST /apps/:app/assets`).
 * Runs in Node and in workerd.
 */
import { z } from "zod";
import { EnvVarName, Sha256, nameRecord } from "./names.js";

/** Cloudflare's own caps (Workers Static Assets limits), kept here so preview and the host agree. */
export const ASSET_LIMITS = {
  /** Bytes of one asset file: Cloudflare's 25 MiB. */
  maxFileBytes: 25 * 1024 * 1024,
  /** Files in one version: Cloudflare's free-plan count (paid plans take 100,000). */
  maxFiles: 20_000,
  /** Length of an asset's path. */
  maxPathLength: 1024,
  /**
   * Decoded bytes the client sends in one JSON upload request: base64 of this
   * stays under the control API's 4 MiB body cap. A larger file goes in raw
   * pieces, as module contents do.
   */
  uploadBatchBytes: 2 * 1024 * 1024,
  /** Files in one upload request. */
  uploadBatchFiles: 500,
} as const;

export const HTML_HANDLING = ["auto-trailing-slash", "force-trailing-slash", "drop-trailing-slash", "none"] as const;
export const NOT_FOUND_HANDLING = ["none", "404-page", "single-page-application"] as const;

/** `html_handling`: how `/page`, `/page/`, `/page.html` and `/page/index.html` map to files. */
export const HtmlHandling = z.enum(HTML_HANDLING, {
  error: (i) => `'${String(i.input)}' is not an html_handling; allowed: ${HTML_HANDLING.join(", ")}`,
});
/** `not_found_handling`: what a path that matches no file serves. */
export const NotFoundHandling = z.enum(NOT_FOUND_HANDLING, {
  error: (i) => `'${String(i.input)}' is not a not_found_handling; allowed: ${NOT_FOUND_HANDLING.join(", ")}`,
});

/** One `run_worker_first` pattern: a path glob (`*` any run), `!` in front to send matches to assets. */
export const RunWorkerFirstPattern = z
  .string()
  .regex(/^!?\//, { message: "must be a path pattern starting with '/' (or '!/' to exclude)" })
  .max(256);

/** `run_worker_first`: true sends every request to the app's code first; patterns only the matching ones. */
export const RunWorkerFirst = z.union([z.boolean(), z.array(RunWorkerFirstPattern).max(100)], {
  error: () => "must be true, false, or a list of path patterns such as ['/api/*', '!/api/docs/*']",
});

/** The serving options, every field filled (Cloudflare's defaults). */
export const AssetOptions = z.strictObject({
  /** The binding the app's code reaches its assets through (`env.ASSETS.fetch(request)`); null: none. */
  binding: EnvVarName.nullable().default(null),
  htmlHandling: HtmlHandling.default("auto-trailing-slash"),
  notFoundHandling: NotFoundHandling.default("none"),
  runWorkerFirst: RunWorkerFirst.default(false),
});
export type AssetOptions = z.output<typeof AssetOptions>;

/**
 * An asset's path as a request names it, decoded: starts with '/', no empty,
 * '.' or '..' segment, no backslash or control character.
 */
export const AssetPath = z
  .string()
  .max(ASSET_LIMITS.maxPathLength, { message: `must be at most ${ASSET_LIMITS.maxPathLength} characters` })
  .refine((p) => p.startsWith("/") && p.length > 1, { message: "must start with '/' and name a file" })
  .refine(
    (p) =>
      !p
        .slice(1)
        .split("/")
        .some((s) => s === "" || s === "." || s === ".."),
    {
      message: "must have no empty, '.' or '..' segment",
    },
  )
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing control characters is the point
  .refine((p) => !/[\\\u0000-\u001f\u007f]/.test(p), { message: "must have no backslash or control character" });

/** One asset file of a version. `size` is checked by the host against what it stores. */
export const AssetFile = z.strictObject({
  sha256: Sha256,
  size: z
    .number()
    .int()
    .min(0)
    .max(ASSET_LIMITS.maxFileBytes, {
      message: `is over Cloudflare's limit of ${ASSET_LIMITS.maxFileBytes / 1024 / 1024} MiB per asset`,
    }),
  /** What the Content-Type header says; null: none (as Cloudflare, for an extension it does not know). */
  contentType: z.string().max(200).nullable(),
});
export type AssetFile = z.infer<typeof AssetFile>;

/** A version's assets: serving options and files. */
export const VersionAssets = AssetOptions.extend({
  files: nameRecord(AssetPath, AssetFile).refine((f) => Object.keys(f).length <= ASSET_LIMITS.maxFiles, {
    message: `must hold at most ${ASSET_LIMITS.maxFiles} files`,
  }),
});
export type VersionAssets = z.output<typeof VersionAssets>;
export type VersionAssetsInput = z.input<typeof VersionAssets>;

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** `POST /apps/:app/assets`: contents by their sha256, base64. The client keeps each request bounded. */
export const AssetUploadRequest = z.strictObject({
  files: nameRecord(Sha256, z.string().regex(BASE64_RE, { message: "must be base64" })).refine(
    (f) => Object.keys(f).length <= ASSET_LIMITS.uploadBatchFiles,
    { message: `must hold at most ${ASSET_LIMITS.uploadBatchFiles} files per request` },
  ),
});

/** `POST /apps/:app/assets/missing`. */
export const MissingAssetsRequest = z.strictObject({ hashes: z.array(Sha256).max(ASSET_LIMITS.maxFiles) });

/** A byte count as people read it: KB and MB are 1,000-based, as Cloudflare's quotas are written. */
export function formatBytes(n: number): string {
  if (n < 1000) return `${n} bytes`;
  if (n < 1_000_000) return `${(n / 1000).toFixed(1)} KB`;
  return `${(n / 1_000_000).toFixed(1)} MB`;
}

/** Total bytes and file count of a version's assets. */
export function assetTotals(assets: { files: Record<string, { size: number }> } | null | undefined): {
  files: number;
  bytes: number;
} {
  const files = Object.values(assets?.files ?? {});
  return { files: files.length, bytes: files.reduce((n, f) => n + f.size, 0) };
}

/** Why the assets binding cannot have its name (another binding, a var or a secret has it), or null. */
export function assetBindingClash(
  binding: string | null,
  others: { durableObjects?: Record<string, string>; env?: Record<string, string>; secrets?: Record<string, string> },
): string | null {
  if (binding === null) return null;
  if (binding === "OBJECTS") return "'OBJECTS' is the platform's own binding (env.OBJECTS); choose another name";
  if (Object.hasOwn(others.durableObjects ?? {}, binding))
    return `'${binding}' is also a Durable Object binding: one name in env is one binding`;
  if (Object.hasOwn(others.env ?? {}, binding))
    return `'${binding}' is also an env var: one name in env is one binding`;
  if (Object.hasOwn(others.secrets ?? {}, binding))
    return `'${binding}' is also a secret: one name in env is one binding`;
  return null;
}
