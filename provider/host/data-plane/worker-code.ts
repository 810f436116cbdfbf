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
 * The build of this host bundle: scripts/build-host.mjs writes the bundle's
 * digest here. Loaded workers hold loopback stubs (ctx.exports) of the host
 * that loaded them, so a worker cached by one host version must never serve
 * another (issue 17: cached dynamic workers that outlived their parent's bindings).
 */
declare const __DW_HOST_BUILD__: string;
const HOST_BUILD = typeof __DW_HOST_BUILD__ === "string" ? __DW_HOST_BUILD__ : "dev";

/**
 * The isolate cache key, and what Cloudflare bills: one Dynamic Worker per
 * distinct key a day. It covers only what is fixed at first load: the host
 * build, the app and version hash (code and env), whether the app has a
 * network at all (globalOutbound is null or the Egress entrypoint), and
 * whether logs are kept (the wrapper patches console at load and its env
 * holds the logs binding). The allow-list is read by Egress per request and
 * the cpuMs and subRequests limits go with each call, so changing them
 * mints no new worker.
 */
export function loaderId(app: string, versionHash: string, outbound: Outbound, logs: boolean): string {
  return `${HOST_BUILD}:${app}@${versionHash}${outbound === "none" ? "" : "~net"}${logs ? "+logs" : ""}`;
}

type Limits = { cpuMs: number; subRequests: number };

/** How a resolved app is loaded: its loader id and the options of its Durable Object class. */
interface LoadPlan {
  id: string;
  /** getEntrypoint's and getDurableObjectClass's options: the limits go with each call, not in the code. */
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
    id: loaderId(resolved.app, resolved.versionHash, resolved.outbound, resolved.logs),
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
      // "none": no network at all. An allow-list: every request passes the Egress check, which reads the current list.
      globalOutbound: outbound === "none" ? null : entrypoints.Egress!({ props: { app } }),
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
