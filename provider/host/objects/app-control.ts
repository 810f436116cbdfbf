/**
 * AppControl: one object per app, holding its settings, its code versions
 * (content-addressed modules, split into chunks under the 2 MB row limit),
 * its deploy history, its object registry and its recent errors. One object
 * per app shards the control plane by app.
 */
import { DurableObject } from "cloudflare:workers";
import { fail, ok, type Result } from "../../shared/control/errors.js";
import { moduleContent, type VersionManifest } from "../../shared/version-hash.js";
import { effectiveQuota, type AppSettings, type Quota } from "../../shared/schema/index.js";
import { platformConfig } from "../env.js";
import type { AppInfo, DeployOutcome, ResolvedApp, StoredWorkerCode, VersionDetail, VersionInfo } from "./app-types.js";
import { BlobStore, loaderModule } from "./blob-store.js";
import { SourceStore } from "./source-store.js";
import { migrate } from "./sql.js";

export type { AppInfo, DeployOutcome, ResolvedApp, StoredWorkerCode, VersionDetail, VersionInfo } from "./app-types.js";
import type { AppUsage } from "../../shared/control/responses.js";
import { UsageStore, type LogLine } from "./usage-store.js";

const STEPS = [
  `CREATE TABLE _dw_app (
     id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     settings TEXT NOT NULL, current_version TEXT, deploy_seq INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE _dw_versions (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL, manifest TEXT NOT NULL, size INTEGER NOT NULL);
   CREATE TABLE _dw_version_modules (version TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (version, sha256));
   CREATE TABLE _dw_blobs (sha256 TEXT NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (sha256, chunk));
   CREATE TABLE _dw_blob_sizes (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL);
   CREATE TABLE _dw_deploys (seq INTEGER PRIMARY KEY, version TEXT NOT NULL, at INTEGER NOT NULL, kind TEXT NOT NULL);
   CREATE TABLE _dw_objects (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
   CREATE TABLE _dw_errors (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, request_id TEXT NOT NULL, message TEXT NOT NULL);`,
  `CREATE TABLE _dw_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
   CREATE TABLE _dw_windows (window INTEGER PRIMARY KEY, granted INTEGER NOT NULL, used INTEGER NOT NULL);
   CREATE TABLE _dw_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);`,
  `ALTER TABLE _dw_objects ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;`,
  `CREATE TABLE _dw_version_sources (version TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (version, path));`,
];


const ERRORS_KEPT = 50;

/** What the data plane asks for again and again, derived from the app's row and current manifest. */
interface Served {
  quota: Quota;
  resolved: ResolvedApp | null;
}

type AppRow = {
  name: string;
  created_at: number;
  updated_at: number;
  settings: string;
  current_version: string | null;
  deploy_seq: number;
};

export class AppControl extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly usageStore: UsageStore;
  private readonly blobs: BlobStore;
  private readonly sources: SourceStore;
  /**
   * The app's quota and data-plane view, kept in memory: leases, size
   * reports and version lookups come many times a second, and each would
   * otherwise parse the settings and the manifest. undefined: not derived
   * yet; null: no app. Every method that changes the row or the current
   * version calls changed().
   */
  private servedCache: Served | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(this.sql, STEPS);
    this.usageStore = new UsageStore(this.sql);
    this.blobs = new BlobStore(this.sql);
    this.sources = new SourceStore(this.sql, this.blobs);
  }

  private changed(): void {
    this.servedCache = undefined;
  }

  private served(): Served | null {
    if (this.servedCache !== undefined) return this.servedCache;
    const row = this.row();
    if (!row) return (this.servedCache = null);
    const settings = JSON.parse(row.settings) as AppSettings;
    const quota = effectiveQuota(settings.quota, platformConfig(this.env));
    const manifest = row.current_version ? this.manifestOf(row.current_version) : undefined;
    const resolved: ResolvedApp | null = row.current_version
      ? {
          app: row.name,
          versionHash: row.current_version,
          deploySeq: row.deploy_seq,
          durableObject: manifest?.durableObject ?? null,
          quota,
          outbound: settings.outbound,
          logs: settings.logs ?? false,
        }
      : null;
    return (this.servedCache = { quota, resolved });
  }

  private row(): AppRow | undefined {
    return this.sql.exec<AppRow>("SELECT * FROM _dw_app WHERE id = 1").toArray()[0];
  }

  /** Deploy numbers only grow, even across a delete that retains data, so objects can tell newer code. */
  private nextDeploySeq(): number {
    const r = this.sql.exec<{ value: string }>("SELECT value FROM _dw_meta WHERE key = 'deploy_seq'").toArray()[0];
    const next = (r ? Number(r.value) : 0) + 1;
    this.sql.exec(
      "INSERT INTO _dw_meta (key, value) VALUES ('deploy_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      String(next),
    );
    return next;
  }

  private manifestOf(hash: string): VersionManifest | undefined {
    const r = this.sql.exec<{ manifest: string }>("SELECT manifest FROM _dw_versions WHERE hash = ?", hash).toArray()[0];
    return r ? (JSON.parse(r.manifest) as VersionManifest) : undefined;
  }

  private infoOf(row: AppRow): AppInfo {
    const settings = JSON.parse(row.settings) as AppSettings;
    const manifest = row.current_version ? this.manifestOf(row.current_version) : undefined;
    return {
      name: row.name,
      createdAt: new Date(row.created_at).toISOString(),
      updatedAt: new Date(row.updated_at).toISOString(),
      currentVersion: row.current_version,
      deploySeq: row.deploy_seq,
      settings,
      quota: effectiveQuota(settings.quota, platformConfig(this.env)),
      durableObject: manifest?.durableObject ?? null,
      objects: this.objectCount(),
    };
  }

  private objectCount(): number {
    return this.sql.exec<{ n: number }>("SELECT COUNT(*) AS n FROM _dw_objects").one().n;
  }

  /** Creates the app or replaces its settings. Settings arrive validated. */
  putApp(name: string, settings: AppSettings): Result<{ created: boolean; app: AppInfo }> {
    const now = Date.now();
    const existing = this.row();
    if (existing && existing.name !== name) return fail("internal", `this AppControl belongs to '${existing.name}'`);
    if (existing) {
      this.sql.exec("UPDATE _dw_app SET settings = ?, updated_at = ? WHERE id = 1", JSON.stringify(settings), now);
    } else {
      this.sql.exec(
        "INSERT INTO _dw_app (id, name, created_at, updated_at, settings) VALUES (1, ?, ?, ?, ?)",
        name,
        now,
        now,
        JSON.stringify(settings),
      );
    }
    this.changed();
    return ok({ created: !existing, app: this.infoOf(this.row()!) });
  }

  info(): Result<AppInfo> {
    const row = this.row();
    return row ? ok(this.infoOf(row)) : fail("not_found", "no such app");
  }

  /** Which of these module digests this app does not store yet. */
  missingModules(hashes: string[]): string[] {
    return this.blobs.missing(hashes);
  }

  /**
   * Stores a version. `blobs` holds the content of every module sent with
   * content (already hashed and checked by the caller); modules sent by
   * digest only must already be stored here.
   */
  putVersion(
    versionHash: string,
    manifest: VersionManifest,
    blobs: Record<string, Uint8Array>,
  ): Result<{ versionHash: string; created: boolean }> {
    if (!this.row()) return fail("not_found", "no such app; create it first with PUT /_control/v1/apps/:app");
    if (this.manifestOf(versionHash)) return ok({ versionHash, created: false });
    const issues = Object.entries(manifest.modules)
      .filter(([, m]) => !blobs[m.sha256] && !this.blobs.has(m.sha256))
      .map(([name]) => ({
        path: `modules[${JSON.stringify(name)}]`,
        message: "was sent by sha256 only, but the host does not store that content; send its content",
      }));
    if (issues.length) return fail("invalid_request", "some modules are neither sent nor stored", { issues });
    for (const m of Object.values(manifest.modules)) {
      if (m.size < 0) {
        m.size = blobs[m.sha256]?.byteLength ?? this.blobs.size(m.sha256);
      }
    }
    let size = 0;
    this.ctx.storage.transactionSync(() => {
      for (const [sha, bytes] of Object.entries(blobs)) this.blobs.put(sha, bytes);
      for (const m of Object.values(manifest.modules)) size += m.size;
      this.sql.exec(
        "INSERT INTO _dw_versions (hash, created_at, manifest, size) VALUES (?, ?, ?, ?)",
        versionHash,
        Date.now(),
        JSON.stringify(manifest),
        size,
      );
      for (const m of Object.values(manifest.modules)) {
        this.sql.exec("INSERT OR IGNORE INTO _dw_version_modules (version, sha256) VALUES (?, ?)", versionHash, m.sha256);
      }
      this.prune();
    });
    return ok({ versionHash, created: true });
  }

  /** Keeps the newest `versionsKept` versions and the current one; drops modules no kept version uses. */
  private prune(): void {
    const keep = platformConfig(this.env).versionsKept;
    const current = this.row()?.current_version ?? null;
    const drop = this.sql
      .exec<{ hash: string }>("SELECT hash FROM _dw_versions ORDER BY seq DESC LIMIT -1 OFFSET ?", keep)
      .toArray()
      .map((r) => r.hash)
      .filter((h) => h !== current);
    for (const h of drop) {
      this.sql.exec("DELETE FROM _dw_versions WHERE hash = ?", h);
      this.sql.exec("DELETE FROM _dw_version_modules WHERE version = ?", h);
      this.sources.drop(h);
    }
    if (drop.length) this.blobs.dropUnreferenced();
  }

  /**
   * Makes a stored version current if `expectedCurrent` is the current one
   * (optimistic concurrency). Deploying the version that is already current
   * succeeds whatever was expected, so a retried deploy is harmless.
   */
  deploy(versionHash: string, expectedCurrent: string | null, kind = "deploy"): Result<DeployOutcome> {
    const row = this.row();
    if (!row) return fail("not_found", "no such app");
    if (row.current_version === versionHash) {
      return ok({ versionHash, previous: versionHash, deploySeq: row.deploy_seq, changed: false });
    }
    if (row.current_version !== expectedCurrent) {
      return fail(
        "version_conflict",
        `the current version is ${row.current_version ?? "none"}, not ${expectedCurrent ?? "none"} as expected; the app changed since you last read it`,
        { current: row.current_version },
      );
    }
    if (!this.manifestOf(versionHash)) return fail("not_found", `version ${versionHash} is not stored for this app`);
    const seq = this.nextDeploySeq();
    const now = Date.now();
    this.sql.exec(
      "UPDATE _dw_app SET current_version = ?, deploy_seq = ?, updated_at = ? WHERE id = 1",
      versionHash,
      seq,
      now,
    );
    this.changed();
    this.sql.exec("INSERT INTO _dw_deploys (seq, version, at, kind) VALUES (?, ?, ?, ?)", seq, versionHash, now, kind);
    this.prune();
    return ok({ versionHash, previous: row.current_version, deploySeq: seq, changed: true });
  }

  /** Goes back to `versionHash`, or to the version deployed before the current one. */
  rollback(versionHash: string | undefined, expectedCurrent: string | null | undefined): Result<DeployOutcome> {
    const row = this.row();
    if (!row) return fail("not_found", "no such app");
    let target = versionHash;
    if (!target) {
      target = this.sql
        .exec<{ version: string }>(
          `SELECT d.version FROM _dw_deploys d JOIN _dw_versions v ON v.hash = d.version
           WHERE d.version IS NOT ? ORDER BY d.seq DESC LIMIT 1`,
          row.current_version,
        )
        .toArray()[0]?.version;
      if (!target) return fail("not_found", "there is no earlier deployed version to roll back to");
    }
    return this.deploy(target, expectedCurrent === undefined ? row.current_version : expectedCurrent, "rollback");
  }

  versions(): Result<VersionInfo[]> {
    const row = this.row();
    if (!row) return fail("not_found", "no such app");
    return ok(
      this.sql
        .exec<{ hash: string; created_at: number; size: number; manifest: string }>(
          "SELECT hash, created_at, size, manifest FROM _dw_versions ORDER BY seq DESC",
        )
        .toArray()
        .map((r) => ({
          versionHash: r.hash,
          createdAt: new Date(r.created_at).toISOString(),
          size: r.size,
          modules: Object.keys((JSON.parse(r.manifest) as VersionManifest).modules).length,
          current: r.hash === row.current_version,
        })),
    );
  }

  version(hash: string, withContents: boolean): Result<VersionDetail> {
    const row = this.row();
    const r = this.sql
      .exec<{ hash: string; created_at: number; size: number; manifest: string }>(
        "SELECT hash, created_at, size, manifest FROM _dw_versions WHERE hash = ?",
        hash,
      )
      .toArray()[0];
    if (!row || !r) return fail("not_found", `version ${hash} is not stored for this app`);
    const manifest = JSON.parse(r.manifest) as VersionManifest;
    const detail: VersionDetail = {
      versionHash: r.hash,
      createdAt: new Date(r.created_at).toISOString(),
      size: r.size,
      modules: Object.keys(manifest.modules).length,
      current: r.hash === row.current_version,
      manifest,
    };
    if (withContents) {
      detail.contents = {};
      for (const [name, m] of Object.entries(manifest.modules)) {
        detail.contents[name] = { type: m.type, content: moduleContent(m.type, this.blobs.get(m.sha256)) };
      }
    }
    return ok(detail);
  }

  /** Replaces a stored version's source files (path → sha256; `contents` for those sent). Not part of the version. */
  putSources(hash: string, files: Record<string, string>, contents: Record<string, Uint8Array>): Result<{ files: number }> {
    if (!this.row() || !this.manifestOf(hash)) return fail("not_found", `version ${hash} is not stored for this app`);
    const issues = this.sources.unknown(files, contents).map((path) => ({
      path: `files[${JSON.stringify(path)}]`,
      message: "was sent by sha256 only, but the host does not store that content; send its content",
    }));
    if (issues.length) return fail("invalid_request", "some files are neither sent nor stored", { issues });
    this.ctx.storage.transactionSync(() => this.sources.put(hash, files, contents));
    return ok({ files: Object.keys(files).length });
  }

  /** A stored version's source files; `files` is null when none were uploaded for it. */
  versionSources(hash: string): Result<{ versionHash: string; files: Record<string, string> | null }> {
    if (!this.row() || !this.manifestOf(hash)) return fail("not_found", `version ${hash} is not stored for this app`);
    return ok({ versionHash: hash, files: this.sources.get(hash) });
  }

  /** The data plane's view: null when the app does not exist or has no deployed version. */
  resolve(): ResolvedApp | null {
    return this.served()?.resolved ?? null;
  }

  /** A version's modules in the Worker Loader's shape. Called only on a loader cache miss. */
  workerCode(hash: string): Result<StoredWorkerCode> {
    const manifest = this.manifestOf(hash);
    if (!manifest) return fail("not_found", `version ${hash} is not stored for this app`);
    const modules: Record<string, WorkerLoaderModule> = {};
    for (const [name, m] of Object.entries(manifest.modules)) modules[name] = loaderModule(m.type, this.blobs.get(m.sha256));
    return ok({
      mainModule: manifest.mainModule,
      compatibilityDate: manifest.compatibilityDate,
      compatibilityFlags: manifest.compatibilityFlags,
      durableObject: manifest.durableObject,
      env: manifest.env,
      modules,
    });
  }

  /** Counts a new object against maxObjects before its database is created; says whether the app is over maxStorageBytes. */
  registerObject(name: string): Result<{ created: boolean; overStorage: boolean }> {
    const served = this.served();
    if (!served) return fail("not_found", "the app does not exist");
    const overStorage = this.storedBytes() > served.quota.maxStorageBytes;
    if (this.sql.exec("SELECT 1 FROM _dw_objects WHERE name = ?", name).toArray().length) return ok({ created: false, overStorage });
    const { maxObjects } = served.quota;
    const count = this.objectCount();
    if (count >= maxObjects) {
      return fail("limit_exceeded", `the app has ${count} objects; its quota allows maxObjects = ${maxObjects}`);
    }
    this.sql.exec("INSERT INTO _dw_objects (name, created_at) VALUES (?, ?)", name, Date.now());
    return ok({ created: true, overStorage });
  }

  private storedBytes(): number {
    return this.sql.exec<{ n: number | null }>("SELECT SUM(bytes) AS n FROM _dw_objects").one().n ?? 0;
  }

  /** An object's database size; answers whether the app is now over maxStorageBytes. */
  reportObjectSize(name: string, bytes: number): { overStorage: boolean; storedBytes: number } {
    this.sql.exec("UPDATE _dw_objects SET bytes = ? WHERE name = ?", Math.max(0, Math.floor(bytes) || 0), name);
    const served = this.served();
    const storedBytes = this.storedBytes();
    return { overStorage: served ? storedBytes > served.quota.maxStorageBytes : false, storedBytes };
  }

  unregisterObject(name: string): void {
    this.sql.exec("DELETE FROM _dw_objects WHERE name = ?", name);
  }

  objectNames(): string[] {
    return this.sql.exec<{ name: string }>("SELECT name FROM _dw_objects ORDER BY name").toArray().map((r) => r.name);
  }

  recordError(requestId: string, message: string): void {
    this.usageStore.bump("errors", 1);
    this.sql.exec(
      "INSERT INTO _dw_errors (at, request_id, message) VALUES (?, ?, ?)",
      Date.now(),
      requestId,
      message.slice(0, 4096),
    );
    this.sql.exec("DELETE FROM _dw_errors WHERE id <= (SELECT MAX(id) FROM _dw_errors) - ?", ERRORS_KEPT);
  }

  errors(): { at: string; requestId: string; message: string }[] {
    return this.sql
      .exec<{ at: number; request_id: string; message: string }>("SELECT at, request_id, message FROM _dw_errors ORDER BY id DESC")
      .toArray()
      .map((r) => ({ at: new Date(r.at).toISOString(), requestId: r.request_id, message: r.message }));
  }

  countOutbound(): void {
    this.usageStore.bump("outbound", 1);
  }

  /** See UsageStore.lease: a slice of this minute's requestsPerMinute for one isolate. */
  leaseRequests(window: number, want: number, used: number, usedWindow: number): { granted: number; limit: number } {
    const served = this.served();
    const limit = served ? served.quota.requestsPerMinute : 0;
    return { granted: this.usageStore.lease(window, served ? want : 0, limit, used, usedWindow), limit };
  }

  /** What the app used, beside its quota. */
  usage(): Result<AppUsage> {
    const row = this.row();
    if (!row) return fail("not_found", "no such app");
    return ok(this.usageStore.report(this.infoOf(row), this.storedBytes()));
  }

  appendLogs(lines: LogLine[]): void {
    this.usageStore.appendLogs(lines);
  }

  logs(): Result<{ at: string; level: string; message: string }[]> {
    if (!this.row()) return fail("not_found", "no such app");
    return ok(this.usageStore.logs());
  }

  /**
   * Stops serving the app and drops its code, settings and history. The
   * object registry stays, so retained objects still count if the app comes
   * back; `purge` removes it once the objects themselves are deleted.
   */
  remove(): { existed: boolean; objects: string[] } {
    const existed = !!this.row();
    this.changed();
    this.ctx.storage.transactionSync(() => {
      for (const t of ["_dw_app", "_dw_versions", "_dw_version_modules", "_dw_version_sources", "_dw_blobs", "_dw_blob_sizes", "_dw_deploys", "_dw_errors", "_dw_counters", "_dw_windows", "_dw_logs"]) {
        this.sql.exec(`DELETE FROM ${t}`);
      }
    });
    return { existed, objects: this.objectNames() };
  }

  /** Forgets everything, once the app's objects are gone too. */
  async purge(): Promise<void> {
    this.changed();
    await this.ctx.storage.deleteAll();
    migrate(this.sql, STEPS);
    this.changed();
  }
}
