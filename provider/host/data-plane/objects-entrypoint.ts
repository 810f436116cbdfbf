/**
 * ObjectsBinding: the entrypoint an app's env.OBJECTS points at. Its props
 * carry the app's name, fixed by the host, so an app can only ever reach its
 * own objects (the AppObject named `<app>/<name>` each, objects/app-object.ts).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { ObjectName, describeIssues, formatIssues } from "../../shared/schema/index.js";
import { OBJECT_HEADERS, STORAGE_METHOD } from "../app-isolate/names.js";
import { fromHeaderValue } from "../app-isolate/namespaces.js";
import { TARGET_HEADER, refusal } from "../objects/object-request.js";
import { appControlStub, appObjectStub } from "../env.js";
import type { ObjectTarget, ResolvedApp } from "../objects/app-types.js";
import { NAMESPACE_MARK } from "../objects/object-registry.js";
import { idFromNameHex, isIdOf } from "../app-isolate/object-ids.js";
import { resolveApp } from "./version-cache.js";
import { objectVersion } from "./rollout-split.js";

/** Names that are not the app's own RPC methods. */
const NOT_CALLABLE = new Set([
  "constructor",
  "fetch",
  "alarm",
  "webSocketMessage",
  "webSocketClose",
  "webSocketError",
  "then",
  STORAGE_METHOD,
]);

interface ObjectsBindingProps {
  app: string;
}

export class ObjectsBinding extends WorkerEntrypoint<Env, ObjectsBindingProps> {
  // ES-private: TypeScript-private methods are still callable over RPC.
  async #resolved(): Promise<ResolvedApp> {
    const { app } = this.ctx.props;
    const resolved = await resolveApp(this.env, app);
    if (!resolved) throw new Error(`app '${app}' is not deployed`);
    return resolved;
  }

  /** An env.OBJECTS object: named by the app. */
  async #target(name: unknown): Promise<ObjectTarget> {
    const parsed = ObjectName.safeParse(name);
    if (!parsed.success)
      throw new TypeError(`OBJECTS.get(name): ${describeIssues(formatIssues(parsed.error, "name"))}`);
    const resolved = await this.#resolved();
    const { app } = resolved;
    // Under a rollout, the class of the version the object is pinned to.
    const className = objectVersion(resolved, parsed.data).durableObject ?? "";
    return {
      app,
      name: parsed.data,
      className,
      id: idFromNameHex(app, className, parsed.data),
      idName: parsed.data,
      resolved,
    };
  }

  /** An object of a declared namespace: its class must be declared, its id of this app and class, its name the id's. */
  async #namespaceTarget(className: unknown, id: unknown, idName: unknown): Promise<ObjectTarget> {
    const resolved = await this.#resolved();
    const { app } = resolved;
    const name = `${NAMESPACE_MARK}${String(className)}:${String(id)}`;
    const declared = objectVersion(resolved, name).durableObjects;
    if (typeof className !== "string" || !Object.values(declared).includes(className))
      throw new TypeError(`no Durable Object binding of app '${app}' has class ${JSON.stringify(String(className))}`);
    if (!isIdOf(app, className, id)) throw new TypeError(`not an id of the ${className} namespace of app '${app}'`);
    if (idName !== null && (typeof idName !== "string" || idFromNameHex(app, className, idName) !== id))
      throw new TypeError("the id's name does not match the id");
    return { app, name, className, id, idName, resolved };
  }

  /**
   * An object's HTTP request end to end (WebSockets, streams, bodies of any
   * size), named by OBJECT_HEADERS: the stub's fetch() comes here. The target
   * travels to the supervisor in TARGET_HEADER, set here only.
   */
  override async fetch(request: Request): Promise<Response> {
    const h = request.headers;
    let t: ObjectTarget;
    try {
      const name = h.get(OBJECT_HEADERS.name);
      t =
        name !== null
          ? await this.#target(fromHeaderValue(name))
          : await this.#namespaceTarget(
              h.get(OBJECT_HEADERS.className),
              h.get(OBJECT_HEADERS.id),
              h.has(OBJECT_HEADERS.idName) ? fromHeaderValue(h.get(OBJECT_HEADERS.idName)) : null,
            );
    } catch (e) {
      return refusal(e);
    }
    const headers = new Headers(h);
    for (const n of Object.values(OBJECT_HEADERS)) headers.delete(n);
    headers.set(TARGET_HEADER, JSON.stringify(t));
    return appObjectStub(this.env, t.app, t.name).fetch(new Request(request, { headers }));
  }

  async nsCall(
    className: string,
    id: string,
    idName: string | null,
    method: string,
    args: unknown[],
  ): Promise<unknown> {
    checkMethod(method, args);
    const t = await this.#namespaceTarget(className, id, idName);
    return appObjectStub(this.env, t.app, t.name).callObject(t, method, args);
  }

  async objectCall(name: string, method: string, args: unknown[]): Promise<unknown> {
    checkMethod(method, args);
    const t = await this.#target(name);
    return appObjectStub(this.env, t.app, t.name).callObject(t, method, args);
  }

  /** An object's alarm: its class asks through app-isolate/alarms.ts; the supervisor owns the real one. */
  async objectAlarm(ref: unknown, op: unknown, time: unknown): Promise<number | null> {
    if (op !== "set" && op !== "get" && op !== "delete") throw new TypeError("alarm: unknown operation");
    if (op === "set" && (typeof time !== "number" || !Number.isFinite(time)))
      throw new TypeError("setAlarm(): the time must be a Date or milliseconds since the epoch");
    const r = (ref ?? {}) as { object?: unknown; className?: unknown; id?: unknown; idName?: unknown };
    const t =
      r.object !== undefined
        ? await this.#target(r.object)
        : await this.#namespaceTarget(r.className, r.id, r.idName ?? null);
    return appObjectStub(this.env, t.app, t.name).alarmOp(t, op, op === "set" ? (time as number) : null);
  }

  /** Deletes an object and its database, and frees its maxObjects slot. */
  async objectDelete(name: string): Promise<boolean> {
    const t = await this.#target(name);
    await appObjectStub(this.env, t.app, t.name).destroy();
    await appControlStub(this.env, t.app).unregisterObject(t.name);
    return true;
  }
}

function checkMethod(method: unknown, args: unknown): void {
  if (typeof method !== "string" || NOT_CALLABLE.has(method) || method.startsWith("_")) {
    throw new TypeError(`OBJECTS.get(name).${String(method)}(): not a callable method of the object`);
  }
  if (!Array.isArray(args)) throw new TypeError("arguments must be an array");
}
