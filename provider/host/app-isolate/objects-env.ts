/**
 * The env an app's handlers and objects see: the app's vars, and a friendly
 * `env.OBJECTS` (stubs with `fetch()` and any RPC method) over the host's
 * objects entrypoint. The host's log sink is taken out of it.
 */
import { LOGS_BINDING, OBJECT_HEADERS } from "./names.js";
import { type NamespaceApi, headerValue, namespace, objectFetch } from "./namespaces.js";

/** The host's objects entrypoint, as the app's env holds it. */
interface ObjectsApi extends NamespaceApi {
  objectCall(name: string, method: string, args: unknown[]): Promise<unknown>;
  objectDelete(name: string): Promise<boolean>;
}

type AppEnv = Record<string, unknown> & { OBJECTS?: ObjectsApi };

function objectStub(api: ObjectsApi, name: unknown): unknown {
  if (typeof name !== "string") throw new TypeError("OBJECTS.get(name): name must be a string");
  return new Proxy(Object.freeze(Object.create(null)), {
    get(_, prop) {
      if (typeof prop !== "string" || prop === "then") return undefined;
      if (prop === "name") return name;
      if (prop === "fetch") {
        const names = { [OBJECT_HEADERS.name]: headerValue(name) };
        return (input: RequestInfo, init?: RequestInit) => objectFetch(api, names, input, init);
      }
      return (...args: unknown[]) => api.objectCall(name, prop, args);
    },
  });
}

/** The app's declared namespace bindings (binding → class), and its name (ids are per app). */
export interface Bindings {
  app: string;
  durableObjects: Record<string, string>;
}

/** Wraps each env once; `onSink` receives the host's log sink when the env carries one. */
export function envWrapper(onSink: (sink: unknown) => void, bindings: Bindings): (env: unknown) => unknown {
  const wrapped = new WeakMap<object, unknown>();
  return (env) => {
    if (env === null || typeof env !== "object" || !(env as AppEnv).OBJECTS) return env;
    let w = wrapped.get(env);
    if (!w) {
      const api = (env as AppEnv).OBJECTS!;
      const OBJECTS = Object.freeze({
        get: (name: unknown) => objectStub(api, name),
        delete: (name: string) => api.objectDelete(name),
      });
      const { [LOGS_BINDING]: sink, ...own } = env as AppEnv;
      if (sink) onSink(sink);
      const namespaces: Record<string, object> = {};
      for (const [binding, className] of Object.entries(bindings.durableObjects))
        namespaces[binding] = namespace(api, bindings.app, binding, className);
      w = Object.freeze({ ...own, OBJECTS, ...namespaces });
      wrapped.set(env, w);
    }
    return w;
  };
}
