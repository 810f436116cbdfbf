/**
 * How an app's stored version becomes a running isolate: the loader id, the
 * host's wrapper module, and the env the app sees. The router and AppObject
 * both load through here, so the same id always yields the same code.
 */
import { unwrap } from "../control-errors.js";
import { appControlStub, type Env } from "./env.js";
import type { Outbound } from "../schema.js";
import type { ResolvedApp } from "./app-control.js";

/** The host's own main module; it imports the app's main module. */
export const WRAPPER_MODULE = "__dw_main.js";

/**
 * The isolate cache key. Everything fixed at first load must be covered:
 * the app name and version hash cover code and env; the outbound policy is
 * fixed in globalOutbound, so it is part of the key too.
 */
export function loaderId(app: string, versionHash: string, outbound: Outbound): string {
  return outbound === "none" ? `${app}@${versionHash}` : `${app}@${versionHash}~${fnv1a(JSON.stringify(outbound.allow))}`;
}

/** A short, stable digest for cache keys (not for security). */
function fnv1a(s: string): string {
  let h1 = 0x811c9dc5;
  let h2 = 0x01000193;
  for (let i = 0; i < s.length; i++) {
    const c = s.charCodeAt(i);
    h1 = Math.imul(h1 ^ c, 0x01000193) >>> 0;
    h2 = Math.imul(h2 ^ c, 0x811c9dc5) >>> 0;
  }
  return h1.toString(16).padStart(8, "0") + h2.toString(16).padStart(8, "0");
}

/**
 * The wrapper gives the app a friendly `env.OBJECTS` (stubs with `fetch()`
 * and any RPC method) over the host's AppObjects entrypoint, re-exports the
 * app's module, and sends requests to object "main" when the app has a
 * Durable Object class but no fetch handler.
 */
export function wrapperSource(mainModule: string, durableObject: string | null): string {
  // Every name the wrapper declares starts with __dw_, which app class names may not.
  const spec = JSON.stringify(`./${mainModule}`);
  const lines = [
    `import * as __dw_app from ${spec};`,
    `export * from ${spec};`,
    `function __dw_stub(api, name) {`,
    `  if (typeof name !== "string") throw new TypeError("OBJECTS.get(name): name must be a string");`,
    `  return new Proxy(Object.freeze(Object.create(null)), {`,
    `    get(_, prop) {`,
    `      if (typeof prop !== "string" || prop === "then") return undefined;`,
    `      if (prop === "name") return name;`,
    `      if (prop === "fetch") return (input, init) => api.objectFetch(name, new Request(input, init));`,
    `      return (...args) => api.objectCall(name, prop, args);`,
    `    },`,
    `  });`,
    `}`,
    `const __dw_wrapped = new WeakMap();`,
    `function __dw_env(env) {`,
    `  if (env === null || typeof env !== "object" || !env.OBJECTS) return env;`,
    `  let w = __dw_wrapped.get(env);`,
    `  if (!w) {`,
    `    const api = env.OBJECTS;`,
    `    const OBJECTS = Object.freeze({ get: (name) => __dw_stub(api, name), delete: (name) => api.objectDelete(name) });`,
    `    w = Object.freeze({ ...env, OBJECTS });`,
    `    __dw_wrapped.set(env, w);`,
    `  }`,
    `  return w;`,
    `}`,
    `const __dw_default = __dw_app.default;`,
    `let __dw_main = {};`,
    `if (typeof __dw_default === "function") {`,
    `  __dw_main = class extends __dw_default { constructor(ctx, env) { super(ctx, __dw_env(env)); } };`,
    `} else if (__dw_default !== null && typeof __dw_default === "object") {`,
    `  for (const k of Object.keys(__dw_default)) {`,
    `    const h = __dw_default[k];`,
    `    __dw_main[k] = typeof h === "function" ? (arg, env, ctx) => h.call(__dw_default, arg, __dw_env(env), ctx) : h;`,
    `  }`,
    `}`,
  ];
  if (durableObject) {
    const cls = JSON.stringify(durableObject);
    lines.push(
      `const __dw_class = __dw_app[${cls}];`,
      `if (typeof __dw_class !== "function") throw new Error("the app declares durableObject " + ${cls} + " but its main module does not export such a class");`,
      `export const ${durableObject} = class extends __dw_class { constructor(ctx, env) { super(ctx, __dw_env(env)); } };`,
      `if (typeof __dw_main === "object" && typeof __dw_main.fetch !== "function") {`,
      `  __dw_main.fetch = (request, env) => __dw_env(env).OBJECTS.get("main").fetch(request);`,
      `}`,
    );
  }
  lines.push(`export default __dw_main;`);
  return lines.join("\n");
}

type EntrypointFactory = (o: { props: unknown }) => Fetcher;

/** The Worker Loader stub of an app's current version; fetches its modules only on a cache miss. */
export function loadAppWorker(env: Env, exports: Cloudflare.Exports, resolved: ResolvedApp): WorkerStub {
  const { app, versionHash, outbound } = resolved;
  return env.LOADER.get(loaderId(app, versionHash, outbound), async () => {
    const code = unwrap(await appControlStub(env, app).workerCode(versionHash));
    const entrypoints = exports as unknown as Record<string, EntrypointFactory>;
    const objects = entrypoints.AppObjects!({ props: { app } });
    return {
      compatibilityDate: code.compatibilityDate,
      compatibilityFlags: code.compatibilityFlags,
      mainModule: WRAPPER_MODULE,
      modules: { ...code.modules, [WRAPPER_MODULE]: { js: wrapperSource(code.mainModule, code.durableObject) } },
      env: { ...code.env, OBJECTS: objects },
      // "none": no network at all. An allow-list: every request passes the Egress check.
      globalOutbound: outbound === "none" ? null : entrypoints.Egress!({ props: { app, allow: outbound.allow } }),
      tails: [entrypoints.AppTail!({ props: { app } })],
    };
  });
}

/** Limits on every entrypoint and class of the app (Cloudflare enforces them; workerd ignores them). */
export function appLimits(resolved: ResolvedApp): { cpuMs: number; subRequests: number } {
  return { cpuMs: resolved.quota.cpuMs, subRequests: resolved.quota.subRequests };
}
