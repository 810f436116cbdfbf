/**
 * Each object an app creates through `env.OBJECTS.get(name)` is an AppObject
 * named `<app>/<name>`, which runs the app's Durable Object class as a facet:
 * the facet has its own SQLite database, invisible to the supervisor and to
 * every other app. The app's env.OBJECTS reaches it through the
 * ObjectsBinding entrypoint (data-plane/objects-entrypoint.ts).
 *
 * maxStorageBytes is enforced here, on sizes the host measures itself: the
 * facet's database is sized by the host's SizeProbe class (size-probe.ts),
 * on the schedule of StorageMeter (storage-meter.ts). Once the app is over
 * its quota, the app's class starts with its writes refused (the in-isolate
 * guard, a courtesy an app can undo), and an object that still grows is
 * stopped: it takes no request until the app is back under its quota; it
 * can always be deleted through the host.
 */
import { DurableObject } from "cloudflare:workers";
import { unwrap } from "../../shared/control/errors.js";
import type { ObjectTarget, ResolvedApp } from "./app-types.js";
import { appControlStub } from "../env.js";
import { loadAppWorker, loadPlan } from "../data-plane/worker-code.js";
import { ALARM_METHOD, STORAGE_METHOD } from "../app-isolate/names.js";
import { NAMESPACE_MARK } from "./object-registry.js";
import { resolveApp } from "../data-plane/version-cache.js";
import { admit } from "../data-plane/rate-limit.js";
import { StorageMeter } from "./storage-meter.js";
import { TARGET_HEADER, isStubBuiltin, refusal } from "./object-request.js";
import { countServed, newerView, objectVersion } from "../data-plane/rollout-split.js";

const FACET = "app";
/** The supervisor's own storage key of the target its alarm runs (set by alarmOp). */
const ALARM_TARGET_KEY = "alarm-target";
/** Where a copy of the facet's database is sized (measureCopy). */
const COPY_FACET = "size-copy";
/** Growth an object may show after its app went over quota (pages SQLite touches for reads and deletes). */
const OVER_SLACK_BYTES = 64 * 1024;
/** Reported growth that asks for a measurement at once: this share of what is left of the quota, at least HINT_MIN_BYTES. */
const HINT_SHARE = 1 / 16;
const HINT_MIN_BYTES = 64 * 1024;
/** How often a stopped object asks AppControl whether its app is back under quota. */
const STOPPED_RECHECK_MS = 1_000;
/** The storage key (in the supervisor's own storage) of a stopped object's state. */
const STOPPED_KEY = "stopped";
const HINT_INTERVAL_MS = 500;
const HINT_STALE_MS = 10_000;
const FLUSH_WAIT_MS = 100;

interface Measured {
  /** The size the host last measured; -1: not yet in this instance. */
  bytes: number;
  /** The app's stored bytes, as AppControl last answered. */
  storedBytes: number;
}

export class AppObject extends DurableObject<Env> {
  /** The newest view of the app this object has seen (highest deploy number): a stale one never moves it back. */
  private view?: ResolvedApp;
  /** The version the running facet runs (set when it starts). */
  private facetVersion?: ResolvedApp;
  private registered = false;
  /** Whether the app was over maxStorageBytes at AppControl's last answer: the facet then starts read-only. */
  private overStorage = false;
  /** The object's measured size when it learned its app is over quota; -1 while under. */
  private overBase = -1;
  private measured: Measured = { bytes: -1, storedBytes: 0 };
  private stoppedCheckedAt = 0;
  /** The running facet, when it runs the app's class. */
  private appFacet?: Fetcher;
  /** Counts the facet's starts (each stop), and the start whose guard was set read-only. */
  private facetRun = 0;
  private guardedRun = -1;
  private target?: ObjectTarget;
  /** When the last hint started, and whether it is still in flight. */
  private hintAt = 0;
  private hintPending = false;
  /** The size at which the object was stopped, from the supervisor's own storage; null: not read yet. */
  private stopped: number | undefined | null = null;
  private readonly meter = new StorageMeter(() => this.measure());
  /** Whether the object has accepted a WebSocket (in this instance): then it is measured on a copy. */
  private sockets = false;

  private async facet(target: ObjectTarget): Promise<Fetcher> {
    const resolved = (this.view = newerView(this.view, target.resolved));
    if (!target.className) {
      throw new Error(`app '${target.app}' declares no durableObject class, so env.OBJECTS has no objects to give`);
    }
    if (!this.registered) {
      // Counted against maxObjects before the object's database exists.
      const r = unwrap(await appControlStub(this.env, target.app).registerObject(target.name));
      this.registered = true;
      this.overStorage = r.overStorage;
      if (r.overStorage && this.overBase < 0) this.overBase = r.bytes;
      if (this.measured.bytes < 0) this.measured = { bytes: r.bytes, storedBytes: r.storedBytes };
    } else if (this.overStorage && this.measured.storedBytes <= resolved.quota.maxStorageBytes) {
      // The quota grew past what the app stores: writable again (the next measurement says if that still holds).
      this.follow(false, this.measured.bytes);
    }
    await this.refuseIfStopped(target);
    // Its version: the current one, or under a rollout the one it is pinned to (rollout-split.ts).
    const served = objectVersion(resolved, target.name);
    if (this.facetVersion && this.facetVersion.versionHash !== served.versionHash) {
      // A new version for this object: restart the facet on its code; its database stays.
      this.stopFacet(`the object now runs version ${served.versionHash}`);
    }
    // The target came over RPC: a new object each call, so not worth caching by identity.
    // The class is minted only when the facet starts (a warm request loads nothing). Its ctx.id is the
    // id the app minted, with its name in props for the wrapper; never this object's key.
    const facet = this.ctx.facets.get(FACET, () => {
      this.facetVersion = served;
      const plan = loadPlan(served);
      const worker = loadAppWorker(this.env, this.ctx.exports, served, plan.id);
      const props = {
        dwId: target.id,
        dwClass: target.className,
        dwName: target.idName ?? undefined,
        dwObject: target.name.startsWith(NAMESPACE_MARK) ? undefined : target.name,
      };
      return { class: worker.getDurableObjectClass(target.className, { ...plan.options, props }), id: target.id };
    });
    this.appFacet = facet;
    // A facet starting while the app is over its storage quota starts read-only.
    if (this.overStorage && this.guardedRun !== this.facetRun) {
      this.guardedRun = this.facetRun;
      await this.setGuard(true).catch(() => {});
    }
    return facet;
  }

  /** Under a rollout, counts a request or call of the app's class for its version (the candidate is judged by them). */
  private countServed(failed: boolean): void {
    const view = this.view;
    if (view?.rollout && this.facetVersion) countServed(this.env, this.ctx, view, this.facetVersion, failed);
  }

  private stopFacet(reason: string): void {
    this.appFacet = undefined;
    this.facetVersion = undefined;
    this.facetRun++;
    try {
      this.ctx.facets.abort(FACET, new Error(reason));
    } catch {
      // Not running.
    }
  }

  /** Sizes the facet's database in the host's isolate, then records it; the app's class restarts on the next request. */
  private async measure(): Promise<void> {
    const target = this.target;
    if (!target) return;
    // The guard's call flushes the app's buffered log lines; bounded, since the app may never answer it.
    await Promise.race([this.setGuard(this.overStorage).catch(() => {}), scheduler.wait(FLUSH_WAIT_MS)]);
    const bytes = this.sockets ? await this.measureCopy() : await this.measureStopped();
    await this.record(target, bytes);
  }

  private probe(name: string): Promise<number> {
    const exports = this.ctx.exports as unknown as { SizeProbe: DurableObjectClass };
    const probe = this.ctx.facets.get(name, () => ({ class: exports.SizeProbe }));
    return (probe as unknown as { size(): Promise<number> }).size();
  }

  /** Stops the app's class for a moment and sizes its database in place (about a millisecond). */
  private async measureStopped(): Promise<number> {
    this.stopFacet("the host is measuring this object's database");
    try {
      return await this.probe(FACET);
    } finally {
      this.stopFacet("measured");
    }
  }

  /** Sizes a copy, so the running class keeps its WebSockets (costs a copy of the database). */
  private async measureCopy(): Promise<number> {
    this.ctx.facets.clone(FACET, COPY_FACET);
    try {
      return await this.probe(COPY_FACET);
    } finally {
      this.ctx.facets.delete(COPY_FACET);
    }
  }

  private async record(target: ObjectTarget, bytes: number): Promise<void> {
    const grewWhileOver = this.overStorage && this.overBase >= 0 && bytes > this.overBase + OVER_SLACK_BYTES;
    if (grewWhileOver) {
      this.setStopped(bytes);
      // Its WebSockets would keep reaching the class: a stopped object runs nothing.
      this.stopFacet("this object is stopped: it kept writing while its app was over its maxStorageBytes quota");
    }
    const r = await appControlStub(this.env, target.app).reportObjectSize(target.name, bytes);
    this.measured = { bytes, storedBytes: r.storedBytes };
    this.follow(r.overStorage, bytes);
  }

  /** Follows the app's over-quota state: the guard for an honest app, and the base growth is judged from. */
  private follow(overStorage: boolean, bytes: number): void {
    if (overStorage && !this.overStorage) this.overBase = bytes;
    if (!overStorage) {
      this.overBase = -1;
      if (this.stoppedAt() !== undefined) this.setStopped(undefined);
    }
    if (overStorage !== this.overStorage) {
      this.overStorage = overStorage;
      this.guardedRun = overStorage && this.appFacet ? this.facetRun : -1;
      if (this.appFacet) void this.setGuard(overStorage).catch(() => {});
    }
  }

  /** An object stopped for growing over quota takes no request until the app is back under it. */
  private async refuseIfStopped(target: ObjectTarget): Promise<void> {
    const stoppedAt = this.stoppedAt();
    if (stoppedAt === undefined) return;
    if (Date.now() - this.stoppedCheckedAt > STOPPED_RECHECK_MS) {
      this.stoppedCheckedAt = Date.now();
      const bytes = this.measured.bytes >= 0 ? this.measured.bytes : stoppedAt;
      const r = await appControlStub(this.env, target.app).reportObjectSize(target.name, bytes);
      this.follow(r.overStorage, bytes);
      if (!r.overStorage) return;
    }
    throw new Error(
      `object '${target.name}' is stopped: it kept writing while app '${target.app}' was over its maxStorageBytes quota (${target.resolved.quota.maxStorageBytes} bytes); it takes requests again once the app is back under the quota, and env.OBJECTS.delete(name) deletes it`,
    );
  }

  /** Kept in the supervisor's own storage, so a restart of the supervisor does not free a stopped object. */
  private stoppedAt(): number | undefined {
    if (this.stopped === null) this.stopped = this.ctx.storage.kv.get<number>(STOPPED_KEY);
    return this.stopped;
  }

  private setStopped(bytes: number | undefined): void {
    this.stopped = bytes;
    if (bytes === undefined) this.ctx.storage.kv.delete(STOPPED_KEY);
    else this.ctx.storage.kv.put(STOPPED_KEY, bytes);
  }

  /** Sets the in-isolate guard; returns the size the isolate reports (a hint, see hint()). */
  private setGuard(readOnly: boolean): Promise<number> {
    const facet = this.appFacet;
    if (!facet) return Promise.resolve(-1);
    return (facet as unknown as Record<string, (readOnly: boolean) => Promise<number>>)[STORAGE_METHOD]!(readOnly);
  }

  /**
   * After a request: the guard's call also flushes the app's log lines; the
   * size it returns, if it grew enough, only makes the host measure sooner.
   */
  private hint(): void {
    const now = Date.now();
    // One at a time (an app may never answer it), at most every HINT_INTERVAL_MS.
    if ((this.hintPending && now - this.hintAt < HINT_STALE_MS) || now - this.hintAt < HINT_INTERVAL_MS) return;
    this.hintAt = now;
    this.hintPending = true;
    const run = async () => {
      try {
        const reported = Number(await this.setGuard(this.overStorage));
        const { bytes, storedBytes } = this.measured;
        const limit = this.target?.resolved.quota.maxStorageBytes ?? 0;
        const step = Math.max(HINT_MIN_BYTES, (limit - storedBytes) * HINT_SHARE);
        // Grown (or, over quota, shrunk) enough to matter: measure now rather than when the object rests.
        const moved = this.overStorage ? Math.abs(reported - bytes) : reported - bytes;
        if (bytes >= 0 && moved >= step) await this.meter.measure();
      } finally {
        if (this.hintAt === now) this.hintPending = false;
      }
    };
    this.ctx.waitUntil(run().catch(() => {}));
  }

  /** The objects entrypoint's fetch(): the target in TARGET_HEADER (only host code reaches this class). */
  override async fetch(request: Request): Promise<Response> {
    const target = JSON.parse(request.headers.get(TARGET_HEADER) ?? "null") as ObjectTarget | null;
    if (!target) return refusal(new Error("no target"));
    const headers = new Headers(request.headers);
    headers.delete(TARGET_HEADER);
    try {
      return await this.fetchObject(target, new Request(request, { headers }));
    } catch (e) {
      return refusal(e);
    }
  }

  private async fetchObject(target: ObjectTarget, request: Request): Promise<Response> {
    this.target = target;
    await this.meter.enter();
    let res: Response;
    try {
      res = await (await this.facet(target)).fetch(request);
    } catch (e) {
      this.meter.leave();
      this.countServed(true);
      throw e;
    }
    this.countServed(res.status >= 500);
    this.hint();
    if (res.webSocket) {
      this.sockets = true;
      this.meter.sockets();
    }
    if (!res.body) {
      this.meter.leave();
      return res;
    }
    // In flight until its body is sent: a measurement never cuts a response short.
    const { readable, writable } = new IdentityTransformStream();
    res.body
      .pipeTo(writable)
      .catch(() => {})
      .finally(() => this.meter.leave());
    return new Response(readable, res);
  }

  async callObject(target: ObjectTarget, method: string, args: unknown[]): Promise<unknown> {
    this.target = target;
    await this.meter.enter();
    try {
      const facet = await this.facet(target);
      if (isStubBuiltin(facet, method)) {
        throw new TypeError(`OBJECTS.get(name).${method}(): not a method of the app's class`);
      }
      const out = await (facet as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args);
      this.countServed(false);
      return out;
    } catch (e) {
      this.countServed(true);
      throw e;
    } finally {
      this.meter.leave();
      this.hint();
    }
  }

  /** The app's class sets, reads or deletes the object's alarm; the target is kept to run it. */
  async alarmOp(target: ObjectTarget, op: "set" | "get" | "delete", time: number | null): Promise<number | null> {
    if (op === "get") return this.ctx.storage.getAlarm();
    if (op === "delete") {
      await this.ctx.storage.deleteAlarm();
      return null;
    }
    const { resolved: _, ...kept } = target;
    this.ctx.storage.kv.put(ALARM_TARGET_KEY, kept);
    await this.ctx.storage.setAlarm(time!);
    return null;
  }

  /**
   * Runs the class's alarm() on the app's current code. The runtime retries
   * it with backoff when it throws (alarmInfo.retryCount). It never wakes an
   * object of an app that was deleted or no longer declares the class.
   */
  override async alarm(info?: AlarmInvocationInfo): Promise<void> {
    const kept = this.ctx.storage.kv.get<Omit<ObjectTarget, "resolved">>(ALARM_TARGET_KEY);
    if (!kept) return;
    const resolved = await resolveApp(this.env, kept.app);
    const pinned = resolved && objectVersion(newerView(this.view, resolved), kept.name);
    const declared =
      pinned &&
      (kept.name.startsWith(NAMESPACE_MARK)
        ? Object.values(pinned.durableObjects).includes(kept.className)
        : pinned.durableObject === kept.className);
    if (!declared || !resolved) {
      this.ctx.storage.kv.delete(ALARM_TARGET_KEY);
      return;
    }
    // An alarm is a request of the app: over requestsPerMinute it throws, and the runtime retries it later.
    const admission = await admit(this.env, this.ctx as unknown as ExecutionContext, resolved);
    if (!admission.ok) {
      throw new Error(
        `app '${kept.app}' is over its quota of ${admission.limit} requests per minute: the alarm is retried`,
      );
    }
    const target: ObjectTarget = { ...kept, resolved };
    this.target = target;
    await this.meter.enter();
    try {
      const facet = (await this.facet(target)) as unknown as Record<string, (info: unknown) => Promise<unknown>>;
      await facet[ALARM_METHOD]!({ retryCount: info?.retryCount ?? 0, isRetry: info?.isRetry ?? false });
    } finally {
      this.meter.leave();
      this.hint();
    }
  }

  /** Deletes the object's database and forgets it. */
  async destroy(): Promise<void> {
    this.meter.forget();
    this.sockets = false;
    this.appFacet = undefined;
    this.ctx.facets.delete(FACET);
    await this.ctx.storage.deleteAll();
    this.view = undefined;
    this.facetVersion = undefined;
    this.registered = false;
    this.overStorage = false;
    this.overBase = -1;
    this.measured = { bytes: -1, storedBytes: 0 };
    this.stopped = undefined;
    this.target = undefined;
  }
}
