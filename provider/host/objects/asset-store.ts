/**
 * An app's static assets in its AppControl's SQLite: each version's files
 * (path → sha256, size, content type) in their own rows, so a version of
 * thousands of files keeps its manifest row small; contents in the app's
 * BlobStore beside the modules, content-addressed, so a file that did not
 * change between versions is stored once, and a rollback finds its files
 * still there. Contents go when no kept version references them.
 */
import {
  ASSET_LIMITS,
  assetTotals,
  formatBytes,
  type AssetFile,
  type FieldIssue,
  type Quota,
  type VersionAssets,
} from "../../shared/schema/index.js";
import { fail, type Result } from "../../shared/control/errors.js";
import type { AssetsStored } from "../../shared/control/responses.js";
import type { BlobStore } from "./blob-store.js";
import type { UsageStore } from "./usage-store.js";

type AssetRow = { path: string; sha256: string; size: number; content_type: string | null };

export class AssetStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly blobs: BlobStore,
    private readonly usage: UsageStore,
  ) {}

  missing(hashes: string[]): string[] {
    return this.blobs.missing([...new Set(hashes)]);
  }

  /** Stores contents already checked against their digests; counts what was new. */
  put(contents: Record<string, Uint8Array>): AssetsStored {
    let stored = 0;
    let bytes = 0;
    for (const [sha, data] of Object.entries(contents)) {
      if (this.blobs.has(sha)) continue;
      this.blobs.put(sha, data);
      stored++;
      bytes += data.byteLength;
    }
    this.usage.bump("asset_files_uploaded", stored);
    this.usage.bump("asset_bytes_uploaded", bytes);
    const uploaded = {
      files: this.usage.counter("asset_files_uploaded"),
      bytes: this.usage.counter("asset_bytes_uploaded"),
    };
    return { stored, bytes, uploaded };
  }

  /** Why a version's assets cannot be stored (see check), as the control API refuses; null when they can. */
  refusal(app: string, assets: VersionAssets, quota: Quota): Result<never> | null {
    const issues = this.check(app, assets, quota.maxAssetBytes);
    if (!issues.length) return null;
    const code = issues.some((i) => i.path === "assets") ? "limit_exceeded" : "invalid_request";
    return fail(code, issues.map((i) => `${i.path}: ${i.message}`).join("; "), { issues });
  }

  /**
   * What is wrong with a version's assets before it is stored: files whose
   * content the host lacks, and the total over the app's maxAssetBytes. Sizes
   * are the stored ones (a client's claim is replaced), so the quota counts
   * what the host measured.
   */
  check(app: string, assets: VersionAssets, maxAssetBytes: number): FieldIssue[] {
    const issues: FieldIssue[] = [];
    for (const [path, f] of Object.entries(assets.files)) {
      if (!this.blobs.has(f.sha256)) {
        issues.push({
          path: `assets.files[${JSON.stringify(path)}]`,
          message: "its content is not stored on the host; upload it first (POST /apps/:app/assets)",
        });
        continue;
      }
      f.size = this.blobs.size(f.sha256);
      if (f.size > ASSET_LIMITS.maxFileBytes)
        issues.push({ path: `assets.files[${JSON.stringify(path)}]`, message: "is over 25 MiB" });
    }
    const { files, bytes } = assetTotals(assets);
    if (bytes > maxAssetBytes) {
      issues.push({
        path: "assets",
        message: `app '${app}': ${files} asset files of ${formatBytes(bytes)} are over its quota maxAssetBytes = ${formatBytes(maxAssetBytes)}`,
      });
    }
    return issues;
  }

  /** Records a version's files (call inside the version's transaction). */
  putVersion(version: string, files: Record<string, AssetFile>): void {
    for (const [path, f] of Object.entries(files)) {
      this.sql.exec(
        "INSERT OR REPLACE INTO _dw_version_assets (version, path, sha256, size, content_type) VALUES (?, ?, ?, ?, ?)",
        version,
        path,
        f.sha256,
        f.size,
        f.contentType,
      );
    }
  }

  files(version: string): Record<string, AssetFile> {
    const out: Record<string, AssetFile> = {};
    const rows = this.sql
      .exec<AssetRow>(
        "SELECT path, sha256, size, content_type FROM _dw_version_assets WHERE version = ? ORDER BY path",
        version,
      )
      .toArray();
    for (const r of rows) out[r.path] = { sha256: r.sha256, size: r.size, contentType: r.content_type };
    return out;
  }

  /** An asset's content, only when some stored version of this app serves it; null otherwise. */
  content(sha: string): Uint8Array | null {
    const used = this.sql.exec("SELECT 1 FROM _dw_version_assets WHERE sha256 = ? LIMIT 1", sha).toArray().length > 0;
    return used && this.blobs.has(sha) ? this.blobs.get(sha) : null;
  }

  drop(version: string): void {
    this.sql.exec("DELETE FROM _dw_version_assets WHERE version = ?", version);
  }
}
