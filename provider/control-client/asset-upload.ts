/**
 * Uploading an app's static assets: the host is asked which contents it
 * lacks, and only those are sent, in JSON requests of at most
 * ASSET_LIMITS.uploadBatchBytes (a larger file goes alone, in the raw 1 MiB
 * pieces module contents use), read from disk one batch at a time, so no
 * upload is one giant body.
 */
import type { ModuleCache } from "../bundle/bundle-app.js";
import { ASSET_LIMITS } from "../shared/schema/index.js";
import { MODULE_CHUNK_BYTES } from "../shared/control/requests.js";
import type { ControlClient } from "./client.js";

/** What an upload sent: files and bytes, and how many requests carried them. */
export interface AssetUploadReport {
  files: number;
  bytes: number;
  requests: number;
}

/** Reads a content by sha256 from the bundle cache, where preview put it. */
export function assetReader(cache: ModuleCache, app: string): (sha: string) => Uint8Array {
  return (sha) => {
    const bytes = cache.get(sha);
    if (!bytes) {
      throw new Error(
        `app '${app}': asset content ${sha} is not in the bundle cache (${cache.dir}); run this from the project folder the preview ran in`,
      );
    }
    return bytes;
  };
}

export async function uploadAssets(
  client: ControlClient,
  app: string,
  files: Record<string, { sha256: string; size: number }>,
  read: (sha: string) => Uint8Array,
): Promise<AssetUploadReport> {
  const sizes = new Map(Object.values(files).map((f) => [f.sha256, f.size]));
  const report: AssetUploadReport = { files: 0, bytes: 0, requests: 0 };
  if (sizes.size === 0) return report;
  const { missing } = await client.call("missingAssets", { params: { app }, body: { hashes: [...sizes.keys()] } });
  let batch: Record<string, string> = {};
  let batchBytes = 0;
  const flush = async () => {
    if (Object.keys(batch).length === 0) return;
    await client.call("putAssets", { params: { app }, body: { files: batch } });
    report.requests++;
    batch = {};
    batchBytes = 0;
  };
  for (const sha of missing) {
    const size = sizes.get(sha) ?? 0;
    if (size > ASSET_LIMITS.uploadBatchBytes) {
      const bytes = read(sha);
      await client.uploadContents(app, new Map([[sha, bytes]]));
      report.requests += Math.ceil(bytes.byteLength / MODULE_CHUNK_BYTES);
      report.files++;
      report.bytes += bytes.byteLength;
      continue;
    }
    const full =
      batchBytes + size > ASSET_LIMITS.uploadBatchBytes || Object.keys(batch).length >= ASSET_LIMITS.uploadBatchFiles;
    if (full) await flush();
    const bytes = read(sha);
    batch[sha] = Buffer.from(bytes).toString("base64");
    batchBytes += bytes.byteLength;
    report.files++;
    report.bytes += bytes.byteLength;
  }
  await flush();
  return report;
}
