/**
 * ObjectsBinding: the entrypoint an app's env.OBJECTS points at. Its props
 * carry the app's name, fixed by the host, so an app can only ever reach its
 * own objects (the AppObject named `<app>/<name>` each, objects/app-object.ts).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { ObjectName, describeIssues, formatIssues } from "../../shared/schema/index.js";
import { STORAGE_METHOD } from "../app-isolate/names.js";
import { appControlStub, appObjectStub } from "../env.js";
import type { ObjectTarget } from "../objects/app-types.js";
import { resolveApp } from "./version-cache.js";

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
  async #target(name: unknown): Promise<ObjectTarget> {
    const parsed = ObjectName.safeParse(name);
    if (!parsed.success)
      throw new TypeError(`OBJECTS.get(name): ${describeIssues(formatIssues(parsed.error, "name"))}`);
    const { app } = this.ctx.props;
    const resolved = await resolveApp(this.env, app);
    if (!resolved) throw new Error(`app '${app}' is not deployed`);
    return { app, name: parsed.data, resolved };
  }

  async objectFetch(name: string, request: Request): Promise<Response> {
    const t = await this.#target(name);
    return appObjectStub(this.env, t.app, t.name).fetchObject(t, request);
  }

  async objectCall(name: string, method: string, args: unknown[]): Promise<unknown> {
    if (typeof method !== "string" || NOT_CALLABLE.has(method) || method.startsWith("_")) {
      throw new TypeError(`OBJECTS.get(name).${String(method)}(): not a callable method of the object`);
    }
    if (!Array.isArray(args)) throw new TypeError("arguments must be an array");
    const t = await this.#target(name);
    return appObjectStub(this.env, t.app, t.name).callObject(t, method, args);
  }

  /** Deletes an object and its database, and frees its maxObjects slot. */
  async objectDelete(name: string): Promise<boolean> {
    const t = await this.#target(name);
    await appObjectStub(this.env, t.app, t.name).destroy();
    await appControlStub(this.env, t.app).unregisterObject(t.name);
    return true;
  }
}
