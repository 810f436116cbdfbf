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
import { effectiveQuota, type AppSettings, type VersionAssets } from "../../shared/schema/index.js";
import { platformConfig } from "../env.js";
import type * as A from "../../shared/control/responses.js";
import type { RolloutRequest } from "../../shared/schema/index.js";
import type { DataPlaneView, ResolvedApp, StoredWorkerCode } from "./app-types.js";
import { BlobStore } from "./blob-store.js";
import { startsOrWhy } from "../data-plane/start-probe.js";
import { runSeed } from "../data-plane/seed-hook.js";
import type { SeedOutcome } from "../../shared/control/preview-responses.js";
import { type AppRow, deployRefusal, infoOfRow, nextDeploySeq, readRow, resolvedOf, writeSettings } from "./app-row.js";
import { ObjectRegistry } from "./object-registry.js";
import { SourceStore } from "./source-store.js";
import { APP_CONTROL_TABLES, TABLES_OF_THE_APP } from "./app-control-tables.js";
import { migrate } from "./sql.js";
import { UsageStore, type LogLine } from "./usage-store.js";
import { leaseCallOf, type LeaseAnswer, type LeaseCall } from "../../shared/rate-lease.js";
import { VersionStore } from "./version-store.js";
import { AssetStore } from "./asset-store.js";
import { RolloutStore } from "./rollout-store.js";
import { ErrorStore } from "./error-store.js";
import { cancelRollout, rolloutStep, servedView, type RolloutHost } from "./rollout-step.js";

export class AppControl extends DurableObject<Env> {
  private readonly sql: SqlStorage;
  private readonly usageStore: UsageStore;
  private readonly blobs: BlobStore;
  private readonly sources: SourceStore;
  private readonly versionStore: VersionStore;
  private readonly objects: ObjectRegistry;
  private readonly assets: AssetStore;
  private readonly rollouts: RolloutStore;
  private readonly errorStore: ErrorStore;
  /**
   * The quota and data-plane view in memory (leases, size reports and lookups come many times a second).
   * undefined: not derived yet; null: no app. Whatever changes the row, version or rollout calls changed().
   */
  private servedCache: DataPlaneView | null | undefined;

  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    this.sql = ctx.storage.sql;
    migrate(this.sql, APP_CONTROL_TABLES);
    this.usageStore = new UsageStore(this.sql);
    this.blobs = new BlobStore(this.sql);
    this.sources = new SourceStore(this.sql, this.blobs);
    this.assets = new AssetStore(this.sql, this.blobs, this.usageStore);
    this.versionStore = new VersionStore(this.sql, this.blobs, this.sources, this.assets);
    this.objects = new ObjectRegistry(this.sql);
    this.rollouts = new RolloutStore(this.sql);
    this.errorStore = new ErrorStore(this.sql);
  }

  private changed(): void {
    this.servedCache = undefined;
  }

  private served(): DataPlaneView | null {
    if (this.servedCache !== undefined) return this.servedCache;
    const row = this.row();
    if (!row) return (this.servedCache = null);
    const quota = effectiveQuota((JSON.parse(row.settings) as AppSettings).quota, platformConfig(this.env));
    const resolved = servedView(this.rolloutHost(), row, platformConfig(this.env));
    return (this.servedCache = { quota, resolved });
  }

  private row(): AppRow | undefined {
    return readRow(this.sql);
  }

  /** A new deploy number for the serving version (a rollout step): objects and the data plane follow it. */
  private bump(): number {
    const seq = this.nextDeploySeq();
    this.sql.exec("UPDATE _dw_app SET deploy_seq = ?, updated_at = ? WHERE id = 1", seq, Date.now());
    this.changed();
    return seq;
  }

  private nextDeploySeq(): number {
    return nextDeploySeq(this.sql);
  }

  private manifestOf(hash: string): VersionManifest | undefined {
    return this.versionStore.manifestOf(hash);
  }

  private infoOf(row: AppRow): A.AppInfo {
    const manifest = row.current_version ? this.manifestOf(row.current_version) : undefined;
    return {
      ...infoOfRow(row, manifest, platformConfig(this.env)),
      objects: this.objects.count(),
      objectsByClass: this.objects.countsByClass(manifest?.durableObject ?? null),
      rollout: this.rollouts.info(row.current_version),
    };
  }

  /** Creates the app or replaces its settings. Settings arrive validated. */
  putApp(name: string, settings: AppSettings): Result<{ created: boolean; app: A.AppInfo }> {
    const existing = this.row();
    if (existing && existing.name !== name) return fail("internal", `this AppControl belongs to '${existing.name}'`);
    writeSettings(this.sql, existing !== undefined, name, settings);
    this.changed();
    return ok({ created: !existing, app: this.infoOf(this.row()!) });
  }

  info(): Result<A.AppInfo> {
    const row = this.row();
    return row ? ok(this.infoOf(row)) : fail("not_found", "no such app");
  }

  /** Which of these module (or asset) digests this app does not store yet. */
  missingModules(hashes: string[]): string[] {
    return this.blobs.missing(hashes);
  }

  /** Stores a piece of a module's (or source file's) content; see BlobStore.putChunk. */
  putModuleChunk(sha256: string, chunk: number, of: number, bytes: Uint8Array): Result<A.ModuleChunkStored> {
    if (!this.row()) return fail("not_found", "no such app; create it first with PUT /_control/v1/apps/:app");
    const r = this.ctx.storage.transactionSync(() => this.blobs.putChunk(sha256, chunk, of, bytes));
    if ("error" in r) return fail("invalid_request", r.error, { issues: [{ path: "sha256", message: r.error }] });
    return ok({ sha256, of, ...r });
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
    const refused =
      this.versionStore.refusal(manifest, blobs) ??
      (manifest.assets ? this.assets.refusal(this.row()!.name, manifest.assets, this.served()!.quota) : null);
    if (refused) return refused;
    this.ctx.storage.transactionSync(() => {
      this.versionStore.put(versionHash, manifest, blobs, secrets);
      this.prune();
    });
    return ok({ versionHash, created: true });
  }

  /** Stores asset contents, already checked against their digests. */
  putAssets(contents: Record<string, Uint8Array>): Result<ReturnType<AssetStore["put"]>> {
    if (!this.row()) return fail("not_found", "no such app; create it first with PUT /_control/v1/apps/:app");
    return ok(this.ctx.storage.transactionSync(() => this.assets.put(contents)));
  }

  /** A version's assets (options and files) for the data plane; null when it has none. */
  assetTable(hash: string): VersionAssets | null {
    return this.manifestOf(hash)?.assets ?? null;
  }

  /** An asset's content, when a stored version of this app serves it. */
  assetContent(sha: string): Uint8Array | null {
    return this.assets.content(sha);
  }

  /** Keeps the newest `versionsKept` versions and the current one. */
  private prune(): void {
    const kept = [this.row()?.current_version ?? null, this.rollouts.row()?.candidate ?? null];
    this.versionStore.prune(platformConfig(this.env).versionsKept, kept);
  }

  /**
   * Makes a stored version current if `expectedCurrent` is the current one
   * (optimistic concurrency). Deploying the version that is already current
   * succeeds whatever was expected, so a retried deploy is harmless.
   */
  async deploy(versionHash: string, expectedCurrent: string | null, kind = "deploy"): Promise<Result<A.DeployOutcome>> {
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
    this.rollouts.clear();
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
  ): Promise<Result<A.DeployOutcome>> {
    const row = this.row();
    if (!row) return fail("not_found", "no such app");
    // Under a rollout, rolling back (to the stable version) is cancelling it.
    if (this.rollouts.row() && (versionHash ?? row.current_version) === row.current_version)
      return cancelRollout(this.rolloutHost(), (seq, v) =>
        this.versionStore.recordDeploy(seq, v, Date.now(), "rollback"),
      );
    const target = versionHash ?? this.versionStore.previousDeployed(row.current_version);
    if (!target) return fail("not_found", "there is no earlier deployed version to roll back to");
    return this.deploy(target, expectedCurrent === undefined ? row.current_version : expectedCurrent, "rollback");
  }

  versions(): Result<A.VersionInfo[]> {
    const row = this.row();
    if (!row) return fail("not_found", "no such app");
    return ok(this.rollouts.withShares(this.versionStore.list(row.current_version)));
  }

  /** See rollout-step.ts. */
  rollout(req: RolloutRequest): Promise<Result<A.RolloutOutcome>> {
    return rolloutStep(this.rolloutHost(), req, platformConfig(this.env));
  }

  private rolloutHost(): RolloutHost {
    return {
      row: () => this.row(),
      manifestOf: (h) => this.manifestOf(h),
      rollouts: this.rollouts,
      startsOrWhy: (next) => startsOrWhy(this.env, this.ctx.exports, next),
      deploy: (h, expected) => this.deploy(h, expected),
      bump: () => this.bump(),
    };
  }

  /** Requests and errors per version that an isolate or object counted under a rollout; may stop the rollout. */
  recordVersionUsage(counts: Record<string, A.VersionUsage>): void {
    if (!this.rollouts.row()) return;
    if (this.rollouts.record(counts, Date.now()) !== null) this.bump();
  }

  version(hash: string, withContents: boolean): Result<A.VersionDetail> {
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
    const refused = this.sources.refusal(files, contents);
    if (refused) return refused;
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
    return served ? this.objects.admit(name, served.quota) : fail("not_found", "the app does not exist");
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

  recordError(requestId: string, message: string, versionHash: string | null = null): void {
    this.usageStore.bump("errors", 1);
    this.errorStore.record(requestId, message, versionHash);
  }

  errors(): { at: string; requestId: string; message: string; versionHash: string | null }[] {
    return this.errorStore.list();
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
  usage(): Result<A.AppUsage> {
    const row = this.row();
    if (!row) return fail("not_found", "no such app");
    return ok({
      ...this.usageStore.report(this.infoOf(row), this.objects.storedBytes()),
      versions: this.rollouts.usage(),
    });
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
      for (const t of TABLES_OF_THE_APP) this.sql.exec(`DELETE FROM ${t}`);
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
