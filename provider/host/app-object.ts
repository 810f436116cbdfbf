/**
 * Each object an app creates through `env.OBJECTS.get(name)` is an AppObject
 * named `<app>/<name>`, which runs the app's Durable Object class as a facet:
 * the facet has its own SQLite database, invisible to the supervisor and to
 * every other app. AppObjects is the entrypoint the app's env.OBJECTS points
 * at; its props carry the app's name, fixed by the host, so an app can only
 * ever reach its own objects.
 */
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";
import { unwrap } from "../control-errors.js";
import { ObjectName, describeIssues, formatIssues } from "../schema.js";
import type { ResolvedApp } from "./app-control.js";
import { appControlStub, appObjectStub, type Env } from "./env.js";
import { resolveApp } from "./version-cache.js";
import { appLimits, loadAppWorker } from "./worker-code.js";

const FACET = "app";

/** Names that are not the app's own RPC methods. */
const NOT_CALLABLE = new Set(["constructor", "fetch", "alarm", "webSocketMessage", "webSocketClose", "webSocketError", "then"]);

export interface ObjectTarget {
  app: string;
  name: string;
  resolved: ResolvedApp;
}

export class AppObject extends DurableObject<Env> {
  /** The deploy whose code the running facet has; -1 before it starts. */
  private facetSeq = -1;
  private registered = false;

  private async facet(target: ObjectTarget): Promise<Fetcher> {
    const { resolved } = target;
    if (!resolved.durableObject) {
      throw new Error(`app '${target.app}' declares no durableObject class, so env.OBJECTS has no objects to give`);
    }
    if (!this.registered) {
      // Counted against maxObjects before the object's database exists.
      unwrap(await appControlStub(this.env, target.app).registerObject(target.name));
      this.registered = true;
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
    const worker = loadAppWorker(this.env, this.ctx.exports, resolved);
    const cls = worker.getDurableObjectClass(resolved.durableObject, { limits: appLimits(resolved) });
    return this.ctx.facets.get(FACET, () => ({ class: cls }));
  }

  async fetchObject(target: ObjectTarget, request: Request): Promise<Response> {
    return (await this.facet(target)).fetch(request);
  }

  async callObject(target: ObjectTarget, method: string, args: unknown[]): Promise<unknown> {
    const facet = (await this.facet(target)) as unknown as Record<string, (...a: unknown[]) => Promise<unknown>>;
    return facet[method]!(...args);
  }

  /** Deletes the object's database and forgets it. */
  async destroy(): Promise<void> {
    this.ctx.facets.delete(FACET);
    await this.ctx.storage.deleteAll();
    this.facetSeq = -1;
    this.registered = false;
  }
}

interface AppObjectsProps {
  app: string;
}

export class AppObjects extends WorkerEntrypoint<Env, AppObjectsProps> {
  private async target(name: unknown): Promise<ObjectTarget> {
    const parsed = ObjectName.safeParse(name);
    if (!parsed.success) throw new TypeError(`OBJECTS.get(name): ${describeIssues(formatIssues(parsed.error, "name"))}`);
    const { app } = this.ctx.props;
    const resolved = await resolveApp(this.env, app);
    if (!resolved) throw new Error(`app '${app}' is not deployed`);
    return { app, name: parsed.data, resolved };
  }

  async objectFetch(name: string, request: Request): Promise<Response> {
    const t = await this.target(name);
    return appObjectStub(this.env, t.app, t.name).fetchObject(t, request);
  }

  async objectCall(name: string, method: string, args: unknown[]): Promise<unknown> {
    if (typeof method !== "string" || NOT_CALLABLE.has(method) || method.startsWith("_")) {
      throw new TypeError(`OBJECTS.get(name).${String(method)}(): not a callable method of the object`);
    }
    if (!Array.isArray(args)) throw new TypeError("arguments must be an array");
    const t = await this.target(name);
    return appObjectStub(this.env, t.app, t.name).callObject(t, method, args);
  }

  /** Deletes an object and its database, and frees its maxObjects slot. */
  async objectDelete(name: string): Promise<boolean> {
    const t = await this.target(name);
    await appObjectStub(this.env, t.app, t.name).destroy();
    await appControlStub(this.env, t.app).unregisterObject(t.name);
    return true;
  }
}
