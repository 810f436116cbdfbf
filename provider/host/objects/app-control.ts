/**
 * host/objects/: the host's Durable Objects (Catalog, AppControl, AppObject) and the SQLite stores
 * AppControl keeps (versions, blobs, sources, objects, usage).
 *
 * AppControl: one object per app, holding its settings, its code versions
 * (content-addressed modules, split into chunks under the 2 MB row limit),
 * its deploy history, its object registry and its recent errors. One object
 * per app shards the control plane by app.
 */
import { DurableObject } from "cloudflare:workers";
import { fail, ok, type Result } from "../../shared/control/errors.js";
import type { VersionManifest } from "../../shared/version-hash.js";
import { effectiveQuota, type AppSettings, type Quota } from "../../shared/schema/index.js";
import { platformConfig } from "../env.js";
import type { AppInfo, AppUsage, DeployOutcome, VersionDetail, VersionInfo } from "../../shared/control/responses.js";
import type { ResolvedApp, StoredWorkerCode } from "./app-types.js";
import { BlobStore } from "./blob-store.js";
import { startsOrWhy } from "../data-plane/start-probe.js";
import { runSeed } from "../data-plane/seed-hook.js";
import type { SeedOutcome } from "../../shared/control/preview-responses.js";
import { type AppRow, deployRefusal, resolvedOf } from "./app-row.js";
import { ObjectRegistry } from "./object-registry.js";
import { SourceStore } from "./source-store.js";
import { APP_CONTROL_TABLES } from "./app-control-tables.js";
import { migrate } from "./sql.js";
import { UsageStore, type LogLine } from "./usage-store.js";
import { leaseCallOf, type LeaseAnswer, type LeaseCall } from "../../shared/rate-lease.js";
import { VersionStore } from "./version-store.js";

const ERRORS_KEPT = 50;

/** What the data plane asks for again and again, derived from the app's row and current manifest. */
interface DataPlaneView {
  quota: Quota;
  resolved: ResolvedApp | null;
}

export class AppControl extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly usageStore: UsageStore;
  private readonly blobs: BlobStore;
  private readonly sources: SourceStore;
  private readonly versionStore: VersionStore;
  private readonly objects: ObjectRegistry;
  /**
   * The app's quota and data-plane view, kept in memory: leases, size
   * reports and version lookups come many times a second, and each would
   * otherwise parse the settings and the manifest. undefined: not derived
   * yet; null: no app. Every method that changes the row or the current
   * version calls changed().
   */
  private servedCache: DataPlaneView | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(this.sql, APP_CONTROL_TABLES);
    this.usageStore = new UsageStore(this.sql);
    this.blobs = new BlobStore(this.sql);
    this.sources = new SourceStore(this.sql, this.blobs);
    this.versionStore = new VersionStore(this.sql, this.blobs, this.sources);
    this.objects = new ObjectRegistry(this.sql);
  }

  private changed(): void {
    this.servedCache = undefined;
  }

  private served(): DataPlaneView | null {
    if (this.servedCache !== undefined) return this.servedCache;
    const row = this.row();
    if (!row) return (this.servedCache = null);
    const quota = effectiveQuota((JSON.parse(row.settings) as AppSettings).quota, platformConfig(this.env));
    const v = row.current_version;
    const resolved = v ? resolvedOf(row, v, row.deploy_seq, this.manifestOf(v), platformConfig(this.env)) : null;
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
    return this.versionStore.manifestOf(hash);
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
      durableObjects: manifest?.durableObjects ?? {},
      objects: this.objects.count(),
      objectsByClass: this.objects.countsByClass(manifest?.durableObject ?? null),
    };
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
   * digest only must already be stored here. `secrets` are the values the
   * manifest holds only as a digest: stored beside it, never answered.
   */
  putVersion(
    versionHash: string,
    manifest: VersionManifest,
    blobs: Record<string, Uint8Array>,
    secrets: Record<string, string> = {},
  ): Result<{ versionHash: string; created: boolean }> {
    if (!this.row()) return fail("not_found", "no such app; create it first with PUT /_control/v1/apps/:app");
    if (this.manifestOf(versionHash)) return ok({ versionHash, created: false });
    const issues = this.versionStore.unknownModules(manifest, blobs).map((name) => ({
      path: `modules[${JSON.stringify(name)}]`,
      message: "was sent by sha256 only, but the host does not store that content; send its content",
    }));
    if (issues.length) return fail("invalid_request", "some modules are neither sent nor stored", { issues });
    this.ctx.storage.transactionSync(() => {
      this.versionStore.put(versionHash, manifest, blobs, secrets);
      this.prune();
    });
    return ok({ versionHash, created: true });
  }

  /** Keeps the newest `versionsKept` versions and the current one. */
  private prune(): void {
    this.versionStore.prune(platformConfig(this.env).versionsKept, this.row()?.current_version ?? null);
  }

  /**
   * Makes a stored version current if `expectedCurrent` is the current one
   * (optimistic concurrency). Deploying the version that is already current
   * succeeds whatever was expected, so a retried deploy is harmless.
   */
  async deploy(versionHash: string, expectedCurrent: string | null, kind = "deploy"): Promise<Result<DeployOutcome>> {
    const refused = deployRefusal(this.row(), versionHash, expectedCurrent, (h) => this.manifestOf(h) !== undefined);
    if (refused) return refused;
    // A version that cannot start never goes live: load it once first (the same isolate the data plane will use).
    const row0 = this.row()!;
    const next = resolvedOf(
      row0,
      versionHash,
      row0.deploy_seq + 1,
      this.manifestOf(versionHash),
      platformConfig(this.env),
    );
    const startError = await startsOrWhy(this.env, this.ctx.exports, next);
    if (startError !== null) {
      return fail("start_failed", `version ${versionHash} does not start, so it was not deployed: ${startError}`);
    }
    // Checked again: another deploy may have landed while this one was loading.
    const again = deployRefusal(this.row(), versionHash, expectedCurrent, (h) => this.manifestOf(h) !== undefined);
    if (again) return again;
    const row = this.row()!;
    const seq = this.nextDeploySeq();
    const now = Date.now();
    this.sql.exec(
      "UPDATE _dw_app SET current_version = ?, deploy_seq = ?, updated_at = ? WHERE id = 1",
      versionHash,
      seq,
      now,
    );
    this.changed();
    this.versionStore.recordDeploy(seq, versionHash, now, kind);
    this.prune();
    return ok({ versionHash, previous: row.current_version, deploySeq: seq, changed: true });
  }

  /** Runs the current version's seed hook (a preview slot's; see data-plane/seed-hook.ts). */
  async seed(): Promise<Result<SeedOutcome>> {
    const resolved = this.served()?.resolved;
    if (!resolved) return fail("not_found", "the slot has no deployed version to seed; deploy one first");
    const r = await runSeed(this.env, this.ctx.exports, resolved);
    return r.error === undefined ? ok(r) : fail("app_error", `the app's seed(env) threw: ${r.error}`);
  }

  /** Goes back to `versionHash`, or to the version deployed before the current one. */
  async rollback(
    versionHash: string | undefined,
    expectedCurrent: string | null | undefined,
  ): Promise<Result<DeployOutcome>> {
    const row = this.row();
    if (!row) return fail("not_found", "no such app");
    const target = versionHash ?? this.versionStore.previousDeployed(row.current_version);
    if (!target) return fail("not_found", "there is no earlier deployed version to roll back to");
    return this.deploy(target, expectedCurrent === undefined ? row.current_version : expectedCurrent, "rollback");
  }

  versions(): Result<VersionInfo[]> {
    const row = this.row();
    return row ? ok(this.versionStore.list(row.current_version)) : fail("not_found", "no such app");
  }

  version(hash: string, withContents: boolean): Result<VersionDetail> {
    const row = this.row();
    const detail = row && this.versionStore.detail(hash, row.current_version, withContents);
    return detail ? ok(detail) : fail("not_found", `version ${hash} is not stored for this app`);
  }

  /** Replaces a stored version's source files (path → sha256; `contents` for those sent). Not part of the version. */
  putSources(
    hash: string,
    files: Record<string, string>,
    contents: Record<string, Uint8Array>,
  ): Result<{ files: number }> {
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
    const code = this.versionStore.workerCode(hash);
    return code ? ok(code) : fail("not_found", `version ${hash} is not stored for this app`);
  }

  /**
   * Counts a new object against maxObjects before its database is created;
   * says whether the app is over maxStorageBytes, and the object's size as
   * the host last measured it.
   */
  registerObject(name: string): Result<{ created: boolean; overStorage: boolean; storedBytes: number; bytes: number }> {
    const served = this.served();
    if (!served) return fail("not_found", "the app does not exist");
    const storedBytes = this.objects.storedBytes();
    const overStorage = storedBytes > served.quota.maxStorageBytes;
    const bytes = this.objects.sizeOf(name);
    if (bytes !== null) return ok({ created: false, overStorage, storedBytes, bytes });
    const { maxObjects } = served.quota;
    const count = this.objects.count();
    if (count >= maxObjects) {
      return fail("limit_exceeded", `the app has ${count} objects; its quota allows maxObjects = ${maxObjects}`);
    }
    this.objects.add(name);
    return ok({ created: true, overStorage, storedBytes, bytes: 0 });
  }

  /** An object's database size, as its AppObject measured it; answers whether the app is now over maxStorageBytes. */
  reportObjectSize(name: string, bytes: number): { overStorage: boolean; storedBytes: number } {
    this.objects.setSize(name, bytes);
    const served = this.served();
    const storedBytes = this.objects.storedBytes();
    return { overStorage: served ? storedBytes > served.quota.maxStorageBytes : false, storedBytes };
  }

  unregisterObject(name: string): void {
    this.objects.remove(name);
  }

  objectNames(): string[] {
    return this.objects.names();
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
      .exec<{ at: number; request_id: string; message: string }>(
        "SELECT at, request_id, message FROM _dw_errors ORDER BY id DESC",
      )
      .toArray()
      .map((r) => ({ at: new Date(r.at).toISOString(), requestId: r.request_id, message: r.message }));
  }

  countOutbound(): void {
    this.usageStore.bump("outbound", 1);
  }

  /** See UsageStore.lease: tokens of this minute's requestsPerMinute for one isolate, sized by its demand. */
  leaseRequests(call: LeaseCall | number, ...previousRelease: number[]): LeaseAnswer {
    const served = this.served();
    return this.usageStore.lease(leaseCallOf(call, previousRelease), served ? served.quota.requestsPerMinute : 0);
  }

  /** What the app used, beside its quota. */
  usage(): Result<AppUsage> {
    const row = this.row();
    if (!row) return fail("not_found", "no such app");
    return ok(this.usageStore.report(this.infoOf(row), this.objects.storedBytes()));
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
      for (const t of [
        "_dw_app",
        "_dw_versions",
        "_dw_version_modules",
        "_dw_version_sources",
        "_dw_blobs",
        "_dw_blob_sizes",
        "_dw_deploys",
        "_dw_errors",
        "_dw_counters",
        "_dw_windows",
        "_dw_logs",
      ]) {
        this.sql.exec(`DELETE FROM ${t}`);
      }
    });
    return { existed, objects: this.objects.names() };
  }

  /** Forgets everything, once the app's objects are gone too. */
  async purge(): Promise<void> {
    this.changed();
    await this.ctx.storage.deleteAll();
    migrate(this.sql, APP_CONTROL_TABLES);
    this.changed();
  }
}
