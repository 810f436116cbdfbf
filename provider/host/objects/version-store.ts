/**
 * An app's code versions in its AppControl's SQLite: manifests, which
 * modules each uses (contents in the BlobStore), the deploy history, and
 * pruning to the newest `versionsKept` plus the current one.
 */
import { moduleContent, type VersionManifest } from "../../shared/version-hash.js";
import type { VersionDetail, VersionInfo } from "../../shared/control/responses.js";
import type { StoredWorkerCode } from "./app-types.js";
import { loaderModule, type BlobStore } from "./blob-store.js";
import type { SourceStore } from "./source-store.js";
import type { AssetStore } from "./asset-store.js";
import { LIMITS } from "../../shared/schema/limits.js";
import { fail, type Result } from "../../shared/control/errors.js";

type VersionRow = { hash: string; created_at: number; size: number; manifest: string };

export class VersionStore {
  constructor(
    private readonly sql: SqlStorage,
    private readonly blobs: BlobStore,
    private readonly sources: SourceStore,
    private readonly assets: AssetStore,
  ) {}

  manifestOf(hash: string): VersionManifest | undefined {
    const r = this.sql
      .exec<{ manifest: string }>("SELECT manifest FROM _dw_versions WHERE hash = ?", hash)
      .toArray()[0];
    return r ? this.withAssetFiles(hash, JSON.parse(r.manifest) as VersionManifest) : undefined;
  }

  /** The manifest row keeps the assets' options only; their files are rows of the AssetStore. */
  private withAssetFiles(hash: string, m: VersionManifest): VersionManifest {
    if (m.assets) m.assets = { ...m.assets, files: this.assets.files(hash) };
    return m;
  }

  /** Why a version's modules cannot be stored (unknown digests, too large), as the control API refuses; or null. */
  refusal(manifest: VersionManifest, blobs: Record<string, Uint8Array>): Result<never> | null {
    const issues = this.unknownModules(manifest, blobs).map((name) => ({
      path: `modules[${JSON.stringify(name)}]`,
      message: "was sent by sha256 only, but the host does not store that content; send its content",
    }));
    if (issues.length) return fail("invalid_request", "some modules are neither sent nor stored", { issues });
    const tooLarge = this.codeSizeProblem(manifest, blobs);
    return tooLarge ? fail("invalid_request", tooLarge, { issues: [{ path: "modules", message: tooLarge }] }) : null;
  }

  /** Module names sent by digest only whose content is neither in `blobs` nor stored. */
  private unknownModules(manifest: VersionManifest, blobs: Record<string, Uint8Array>): string[] {
    return Object.entries(manifest.modules)
      .filter(([, m]) => !blobs[m.sha256] && !this.blobs.has(m.sha256))
      .map(([name]) => name);
  }

  /** Why a version's code is too large (content sent plus content stored), or null. */
  private codeSizeProblem(manifest: VersionManifest, blobs: Record<string, Uint8Array>): string | null {
    let code = 0;
    for (const m of Object.values(manifest.modules)) code += blobs[m.sha256]?.byteLength ?? this.blobs.size(m.sha256);
    if (code <= LIMITS.maxCodeBytes) return null;
    return `total code is ${code} bytes; at most ${LIMITS.maxCodeBytes} bytes are allowed`;
  }

  /**
   * Stores a version (call inside a transaction); modules of size -1 (sent by digest) get their stored size.
   * `secrets` go in their own column, which only workerCode reads.
   */
  put(
    versionHash: string,
    manifest: VersionManifest,
    blobs: Record<string, Uint8Array>,
    secrets: Record<string, string>,
  ): void {
    for (const m of Object.values(manifest.modules)) {
      if (m.size < 0) m.size = blobs[m.sha256]?.byteLength ?? this.blobs.size(m.sha256);
    }
    for (const [sha, bytes] of Object.entries(blobs)) this.blobs.put(sha, bytes);
    const size = Object.values(manifest.modules).reduce((t, m) => t + m.size, 0);
    const row = manifest.assets ? { ...manifest, assets: { ...manifest.assets, files: {} } } : manifest;
    if (manifest.assets) this.assets.putVersion(versionHash, manifest.assets.files);
    this.sql.exec(
      "INSERT INTO _dw_versions (hash, created_at, manifest, size, secrets) VALUES (?, ?, ?, ?, ?)",
      versionHash,
      Date.now(),
      JSON.stringify(row),
      size,
      JSON.stringify(secrets),
    );
    for (const m of Object.values(manifest.modules)) {
      this.sql.exec("INSERT OR IGNORE INTO _dw_version_modules (version, sha256) VALUES (?, ?)", versionHash, m.sha256);
    }
  }

  /** Keeps the newest `keep` versions and those in `serving` (current, a rollout's candidate); drops modules no kept version uses. */
  prune(keep: number, serving: (string | null)[]): void {
    const drop = this.sql
      .exec<{ hash: string }>("SELECT hash FROM _dw_versions ORDER BY seq DESC LIMIT -1 OFFSET ?", keep)
      .toArray()
      .map((r) => r.hash)
      .filter((h) => !serving.includes(h));
    for (const h of drop) {
      this.sql.exec("DELETE FROM _dw_versions WHERE hash = ?", h);
      this.sql.exec("DELETE FROM _dw_version_modules WHERE version = ?", h);
      this.sources.drop(h);
      this.assets.drop(h);
    }
    if (drop.length) this.blobs.dropUnreferenced();
  }

  recordDeploy(seq: number, versionHash: string, at: number, kind: string): void {
    this.sql.exec("INSERT INTO _dw_deploys (seq, version, at, kind) VALUES (?, ?, ?, ?)", seq, versionHash, at, kind);
  }

  /** The newest deployed version, still stored, other than `current`. */
  previousDeployed(current: string | null): string | undefined {
    return this.sql
      .exec<{ version: string }>(
        `SELECT d.version FROM _dw_deploys d JOIN _dw_versions v ON v.hash = d.version
         WHERE d.version IS NOT ? ORDER BY d.seq DESC LIMIT 1`,
        current,
      )
      .toArray()[0]?.version;
  }

  list(current: string | null): VersionInfo[] {
    return this.sql
      .exec<VersionRow>("SELECT hash, created_at, size, manifest FROM _dw_versions ORDER BY seq DESC")
      .toArray()
      .map((r) => infoOf(r, JSON.parse(r.manifest) as VersionManifest, current));
  }

  detail(hash: string, current: string | null, withContents: boolean): VersionDetail | undefined {
    const r = this.sql
      .exec<VersionRow>("SELECT hash, created_at, size, manifest FROM _dw_versions WHERE hash = ?", hash)
      .toArray()[0];
    if (!r) return undefined;
    const manifest = this.withAssetFiles(hash, JSON.parse(r.manifest) as VersionManifest);
    const detail: VersionDetail = { ...infoOf(r, manifest, current), manifest };
    if (withContents) {
      detail.contents = {};
      for (const [name, m] of Object.entries(manifest.modules)) {
        detail.contents[name] = { type: m.type, content: moduleContent(m.type, this.blobs.get(m.sha256)) };
      }
    }
    return detail;
  }

  /** A version's modules in the Worker Loader's shape, and its env with the secrets' values. */
  workerCode(hash: string): StoredWorkerCode | undefined {
    const r = this.sql
      .exec<{ manifest: string; secrets: string }>("SELECT manifest, secrets FROM _dw_versions WHERE hash = ?", hash)
      .toArray()[0];
    if (!r) return undefined;
    const manifest = JSON.parse(r.manifest) as VersionManifest;
    const modules: Record<string, WorkerLoaderModule> = {};
    for (const [name, m] of Object.entries(manifest.modules))
      modules[name] = loaderModule(m.type, this.blobs.get(m.sha256));
    const { mainModule, compatibilityDate, compatibilityFlags, durableObject } = manifest;
    const durableObjects = manifest.durableObjects ?? {};
    const env = { ...manifest.env, ...(JSON.parse(r.secrets) as Record<string, string>) };
    const assetsBinding = manifest.assets?.binding ?? null;
    return {
      mainModule,
      compatibilityDate,
      compatibilityFlags,
      durableObject,
      durableObjects,
      env,
      modules,
      assetsBinding,
    };
  }
}

function infoOf(r: VersionRow, manifest: VersionManifest, current: string | null): VersionInfo {
  return {
    versionHash: r.hash,
    createdAt: new Date(r.created_at).toISOString(),
    size: r.size,
    modules: Object.keys(manifest.modules).length,
    current: r.hash === current,
  };
}
