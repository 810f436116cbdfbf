/**
 * Each object an app creates through `env.OBJECTS.get(name)` is an AppObject
 * named `<app>/<name>`, which runs the app's Durable Object class as a facet:
 * the facet has its own SQLite database, invisible to the supervisor and to
 * every other app. The app's env.OBJECTS reaches it through the
 * ObjectsBinding entrypoint (data-plane/objects-entrypoint.ts).
 */
import { DurableObject } from "cloudflare:workers";
import { unwrap } from "../../shared/control/errors.js";
import type { ObjectTarget } from "./app-types.js";
import { appControlStub } from "../env.js";
import { guardKey, loadAppWorker, loadPlan } from "../data-plane/worker-code.js";
import { STORAGE_METHOD } from "../app-isolate/names.js";

const FACET = "app";

/** How often, after a request, an object reads its database size; a change is reported to AppControl at once. */
const SIZE_CHECK_MS = 500;
/**
 * How often an object whose size did not change still asks AppControl
 * whether the app is over maxStorageBytes. An object that grows reports
 * within SIZE_CHECK_MS, and a read-only one at every check, so this only
 * bounds how late a quiet object learns of a state that its own writes
 * cannot change the app's total by.
 */
const SIZE_HEARTBEAT_MS = 5_000;
const REPORT_STALE_MS = 10_000;

export class AppObject extends DurableObject<Env> {
  /** The deploy whose code the running facet has; -1 before it starts. */
  private facetSeq = -1;
  private registered = false;
  /** Whether the app was over maxStorageBytes at the last report: the facet is then read-only. */
  private overStorage = false;
  private lastSizeCheck = 0;
  /** The size AppControl last heard from this object, and when; -1: never. */
  private reportedBytes = -1;
  private lastSizeReport = 0;
  /** When the report in flight started; 0: none. One older than REPORT_STALE_MS was lost: another may start. */
  private reportingSince = 0;
  /** The running facet and the key of its storage method. */
  private guard?: { facet: Fetcher; key: string };

  private async facet(target: ObjectTarget): Promise<Fetcher> {
    const { resolved } = target;
    if (!resolved.durableObject) {
      throw new Error(`app '${target.app}' declares no durableObject class, so env.OBJECTS has no objects to give`);
    }
    if (!this.registered) {
      // Counted against maxObjects before the object's database exists.
      const { overStorage } = unwrap(await appControlStub(this.env, target.app).registerObject(target.name));
      this.registered = true;
      this.overStorage = overStorage;
    }
    if (this.facetSeq !== -1 && resolved.deploySeq > this.facetSeq) {
      // A newer deploy: restart the facet on the new code; its database stays.
      try {
        this.ctx.facets.abort(FACET, new Error("the app deployed a new version"));
      } catch {
        // Not running: the next get() starts it on the new code anyway.
      }
    }
    this.facetSeq = Math.max(this.facetSeq, resolved.deploySeq);
    // The target came over RPC: a new object each call, so not worth caching by identity.
    const plan = loadPlan(resolved);
    const worker = loadAppWorker(this.env, this.ctx.exports, resolved, plan.id);
    const cls = worker.getDurableObjectClass(resolved.durableObject, plan.options);
    let started = false;
    const facet = this.ctx.facets.get(FACET, () => {
      started = true;
      return { class: cls };
    });
    // A facet starting while the app is over its storage quota starts read-only.
    this.guard = { facet, key: await guardKey(this.env, resolved, plan.id) };
    if (started && this.overStorage) await this.setStorage(true);
    return facet;
  }

  /** After a request: report the database size now and then, and follow the app's over-quota state. */
  private reportSize(target: ObjectTarget): void {
    const now = Date.now();
    if (now - this.reportingSince < REPORT_STALE_MS || now - this.lastSizeCheck < SIZE_CHECK_MS) return;
    this.reportingSince = now;
    this.lastSizeCheck = now;
    const run = async () => {
      try {
        const bytes = await this.setStorage(this.overStorage);
        if (bytes === this.reportedBytes && !this.overStorage && now - this.lastSizeReport < SIZE_HEARTBEAT_MS) return;
        this.lastSizeReport = now;
        const { overStorage } = await appControlStub(this.env, target.app).reportObjectSize(target.name, bytes);
        this.reportedBytes = bytes;
        if (overStorage !== this.overStorage) {
          this.overStorage = overStorage;
          await this.setStorage(overStorage);
        }
      } finally {
        if (this.reportingSince === now) this.reportingSince = 0;
      }
    };
    this.ctx.waitUntil(run().catch(() => {}));
  }

  /** Sets the facet read-only or not; returns its database size. */
  private async setStorage(readOnly: boolean): Promise<number> {
    const { facet, key } = this.guard!;
    return (facet as unknown as Record<string, (key: string, readOnly: boolean) => Promise<number>>)[STORAGE_METHOD]!(
      key,
      readOnly,
    );
  }

  async fetchObject(target: ObjectTarget, request: Request): Promise<Response> {
    const facet = await this.facet(target);
    try {
      return await facet.fetch(request);
    } finally {
      this.reportSize(target);
    }
  }

  async callObject(target: ObjectTarget, method: string, args: unknown[]): Promise<unknown> {
    const facet = await this.facet(target);
    if (isStubBuiltin(facet, method)) {
      throw new TypeError(`OBJECTS.get(name).${method}(): not a method of the app's class`);
    }
    try {
      return await (facet as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>)[method]!(...args);
    } finally {
      this.reportSize(target);
    }
  }

  /** Deletes the object's database and forgets it. */
  async destroy(): Promise<void> {
    this.ctx.facets.delete(FACET);
    await this.ctx.storage.deleteAll();
    this.facetSeq = -1;
    this.registered = false;
    this.overStorage = false;
    this.reportedBytes = -1;
  }
}

/**
 * True for names the host-side stub answers itself (toString, connect,
 * hasOwnProperty, …) rather than forwarding to the app's class: an app may
 * not make the host run those with its arguments.
 */
function isStubBuiltin(stub: object, name: string): boolean {
  if (name in Object.prototype) return true;
  for (let p = Object.getPrototypeOf(stub); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.getOwnPropertyNames(p).includes(name)) return true;
  }
  return Object.getOwnPropertyNames(stub).includes(name);
}
