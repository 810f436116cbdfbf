/**
 * How an app's stored version becomes a running isolate: the loader id, the
 * host's modules (app-isolate/), and the env the app sees. The router and AppObject
 * both load through here, so the same id always yields the same code.
 */
import { unwrap } from "../../shared/control/errors.js";
import { appControlStub } from "../env.js";
import type { Outbound } from "../../shared/schema/index.js";
import type { ResolvedApp } from "../objects/app-types.js";
import { hostAppFlags } from "../../shared/schema/index.js";
import { hostModules } from "../app-isolate/main-module.js";
import { LOGS_BINDING, WRAPPER_MODULE } from "../app-isolate/names.js";

/**
 * The isolate cache key. Everything fixed at first load must be covered:
 * the app name and version hash cover code and env; the outbound policy is
 * fixed in globalOutbound, whether logs are kept in the wrapper and its env,
 * and the cpuMs and subRequests limits in the code's `limits`, so all are
 * part of the key too (a quota change loads the app afresh).
 */
export function loaderId(app: string, versionHash: string, outbound: Outbound, logs: boolean, limits: Limits): string {
  const id =
    outbound === "none" ? `${app}@${versionHash}` : `${app}@${versionHash}~${fnv1a(JSON.stringify(outbound.allow))}`;
  return `${logs ? `${id}+logs` : id}/${limits.cpuMs}/${limits.subRequests}`;
}

type Limits = { cpuMs: number; subRequests: number };

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

/** How a resolved app is loaded: its loader id and the options of its Durable Object class. */
interface LoadPlan {
  id: string;
  /** getDurableObjectClass's options (the code's own `limits` cover entrypoints). */
  options: { limits: Limits };
}

/**
 * The load plan of a resolved app, computed once per cached ResolvedApp
 * (the version cache hands out the same object until it refreshes), so a
 * warm request builds no strings or objects for it.
 */
const plans = new WeakMap<ResolvedApp, LoadPlan>();
export function cachedLoadPlan(resolved: ResolvedApp): LoadPlan {
  let plan = plans.get(resolved);
  if (!plan) {
    plan = loadPlan(resolved);
    plans.set(resolved, plan);
  }
  return plan;
}

/** The same, computed each call: for a ResolvedApp that arrived over RPC (a new object per call). */
export function loadPlan(resolved: ResolvedApp): LoadPlan {
  const limits = appLimits(resolved);
  return {
    id: loaderId(resolved.app, resolved.versionHash, resolved.outbound, resolved.logs, limits),
    options: { limits },
  };
}

type EntrypointFactory = (o: { props: unknown }) => Fetcher;

/** The Worker Loader stub of an app's current version; fetches its modules only on a cache miss. */
export function loadAppWorker(
  env: Env,
  exports: Cloudflare.Exports,
  resolved: ResolvedApp,
  id = cachedLoadPlan(resolved).id,
): WorkerStub {
  const { app, versionHash, outbound, logs } = resolved;
  return env.LOADER.get(id, async () => {
    const code = unwrap(await appControlStub(env, app).workerCode(versionHash));
    const entrypoints = exports as unknown as Record<string, EntrypointFactory>;
    const objects = entrypoints.ObjectsBinding!({ props: { app } });
    // The app's assets, fixed to this app and version by the host (the loader id holds the version).
    const assets = code.assetsBinding
      ? { [code.assetsBinding]: entrypoints.AppAssets!({ props: { app, versionHash } }) }
      : {};
    return {
      // Per invocation, for every entrypoint: a warm request passes no options (cheaper than limits on each getEntrypoint).
      limits: appLimits(resolved),
      compatibilityDate: code.compatibilityDate,
      // No ctx.exports and no importable exports: the app's code holds no Durable Object class, so it cannot
      // start nested facets (databases no registry counts or measures). The schema refuses the opposite flags.
      compatibilityFlags: [...new Set([...code.compatibilityFlags, ...hostAppFlags(code.compatibilityDate)])],
      mainModule: WRAPPER_MODULE,
      modules: {
        ...code.modules,
        ...hostModules(code.mainModule, {
          app,
          durableObject: code.durableObject,
          durableObjects: code.durableObjects,
          logs,
          importsWorkers: Object.values(code.modules).some(namesWorkersModule),
        }),
      },
      // The wrapper takes LOGS_BINDING out of the env the app's handlers get.
      env: logs
        ? { ...code.env, ...assets, OBJECTS: objects, [LOGS_BINDING]: entrypoints.AppLogs!({ props: { app } }) }
        : { ...code.env, ...assets, OBJECTS: objects },
      // "none": no network at all. An allow-list: every request passes the Egress check.
      globalOutbound: outbound === "none" ? null : entrypoints.Egress!({ props: { app, allow: outbound.allow } }),
    };
  });
}

/** Whether a module's text names `cloudflare:workers` (one that builds the name at run time only loses its own importable env). */
function namesWorkersModule(m: WorkerLoaderModule): boolean {
  const text = m.js ?? m.cjs;
  return typeof text === "string" && text.includes("cloudflare:workers");
}

/** Limits on every entrypoint and class of the app (Cloudflare enforces them; workerd ignores them). */
export function appLimits(resolved: ResolvedApp): { cpuMs: number; subRequests: number } {
  return { cpuMs: resolved.quota.cpuMs, subRequests: resolved.quota.subRequests };
}
