/**
 * host/app-isolate/: what runs inside an app's own isolate. This folder is
 * bundled by esbuild into one script declaring `__dw_runtime`, the same text
 * for every app (scripts/build-host.mjs; the host imports it as text), which
 * main-module.ts writes into each app's `__dw_main.js` with the few lines
 * that import the app's main module and pass the app's values. It:
 * - gives the app a friendly `env.OBJECTS` over the host's objects entrypoint;
 * - sends requests to object "main" when the app has a Durable Object class
 *   but no fetch handler;
 * - runs the app's class with a storage guard the supervisor drives through
 *   `__dw_storage(readOnly)`, so that an app over maxStorageBytes gets a
 *   clear error on a write, and reads and deletes keep working;
 * - runs the app's handlers with `import { env } from "cloudflare:workers"`
 *   set to the env they get (the host loads apps with
 *   disallow_importable_env, see data-plane/worker-code.ts);
 * - for an app that keeps logs, captures its console lines and exceptions.
 * None of it is a sandbox boundary, and none of it holds a secret or is
 * trusted: the app's module body runs first, in the same realm, and may undo
 * any of it, which harms only the app. Quotas are measured and enforced by
 * the host (objects/app-object.ts, see README).
 */
import { type Capture, logCapture, NO_CAPTURE } from "./log-capture.js";
import { ALARM_METHOD, STORAGE_METHOD } from "./names.js";
import { envWrapper } from "./objects-env.js";
import { guardStorage, type StorageGuard } from "./storage-guard.js";
import { ObjectId } from "./namespaces.js";
import { type AlarmApi, hostAlarms } from "./alarms.js";
import { runScheduled as scheduled } from "./scheduled.js";

/** Runs the app's scheduled handler (the wrapper's scheduled entrypoint calls this). */
export const runScheduled = scheduled;

/** The per-app values the generated main module passes. */
export interface AppValues {
  app: string;
  durableObject: string | null;
  /** Declared namespace bindings: binding → class. */
  durableObjects: Record<string, string>;
  logs: boolean;
  /** Whether any module names `cloudflare:workers`, so `import { env }` must be set per call (a frame per call otherwise saved). */
  importsWorkers: boolean;
}

/** `withEnv` of `cloudflare:workers`: runs `fn` with the importable env set to `env`. */
export type WithEnv = <T>(env: unknown, fn: () => T) => T;

type Handler = (arg: unknown, env: unknown, ctx: unknown) => unknown;

/** The props the supervisor starts an object's class with (objects/app-object.ts). */
interface ObjectProps {
  dwId?: string;
  dwClass?: string;
  dwName?: string;
  /** Set for an env.OBJECTS object: its name. */
  dwObject?: string;
}
type Constructor = new (ctx: unknown, env: unknown) => object;

/** The wrapped app: its default export, and its Durable Object class when it declares one. */
export function wrapApp(
  app: Record<string, unknown>,
  values: AppValues,
  withEnv: WithEnv,
): { main: unknown; classes: Record<string, unknown>; seed: ((env: unknown) => unknown) | null } {
  explainNoCache();
  const capture = values.logs ? logCapture() : NO_CAPTURE;
  const wrapEnv = envWrapper((sink) => capture.setSink(sink), values);
  const main = wrapDefault(app.default, wrapEnv, capture, values.importsWorkers ? withEnv : null);
  const classes: Record<string, unknown> = {};
  for (const [field, name] of declaredClasses(values)) {
    const cls = app[name];
    if (typeof cls !== "function") {
      throw new Error(
        `the app declares ${field} ${JSON.stringify(name)} but its main module does not export such a class`,
      );
    }
    classes[name] ??= guardedClass(cls as Constructor, wrapEnv, capture);
  }
  if (
    values.durableObject &&
    typeof main === "object" &&
    main !== null &&
    typeof (main as { fetch?: unknown }).fetch !== "function"
  ) {
    (main as Record<string, unknown>).fetch = (request: Request, env: unknown) =>
      (wrapEnv(env) as { OBJECTS: { get(n: string): Fetcher } }).OBJECTS.get("main").fetch(request);
  }
  // A preview slot's seed hook: `export async function seed(env)`, run once with the slot's own env.
  const seedFn = app.seed;
  const seed =
    typeof seedFn === "function"
      ? (env: unknown) => {
          const appEnv = wrapEnv(env);
          return withEnv(appEnv, () => (seedFn as (env: unknown) => unknown).call(app, appEnv));
        }
      : null;
  return { main, classes, seed };
}

/**
 * The Cache API is not offered: one cache for the host's zone would let an
 * app read or poison another app's entries (and local workerd has none).
 * `caches.default` and `caches.open()` say so instead of failing obscurely.
 */
function explainNoCache(): void {
  const refuse = (): never => {
    throw new Error(
      "the Cache API is not offered to apps: one cache for the whole platform would let one app read or poison another's entries; keep what you would cache in a Durable Object",
    );
  };
  const caches = Object.freeze({
    get default(): never {
      return refuse();
    },
    open: async (): Promise<never> => refuse(),
  });
  Object.defineProperty(globalThis, "caches", { value: caches, configurable: true });
}

/**
 * `ctx.exports` is not offered (the host loads apps without it, see
 * data-plane/worker-code.ts): reading a name from it says what to use.
 */
function explainNoExports(ctx: unknown): void {
  if ((ctx as { exports?: unknown }).exports !== undefined) return;
  const explain = new Proxy(Object.freeze({}), {
    get(_, name) {
      if (typeof name !== "string" || name === "then") return undefined;
      throw new TypeError(
        `ctx.exports.${name}: this platform offers no ctx.exports; declare the class as a Durable Object binding (durableObjects: { BINDING: "${name}" }) and use env.BINDING`,
      );
    },
  });
  Object.defineProperty(ctx, "exports", { value: explain });
}

/** Each declared class with the field that declares it, for messages. */
function declaredClasses(values: AppValues): [string, string][] {
  const out: [string, string][] = values.durableObject ? [["durableObject", values.durableObject]] : [];
  for (const [binding, name] of Object.entries(values.durableObjects)) out.push([`durableObjects.${binding}`, name]);
  return out;
}

/** The default export with the wrapped env: a class (WorkerEntrypoint) extended, or each handler of an object wrapped. */
function wrapDefault(
  def: unknown,
  wrapEnv: (env: unknown) => unknown,
  capture: Capture,
  withEnv: WithEnv | null,
): unknown {
  if (typeof def === "function") {
    const Base = def as Constructor;
    const main = class extends Base {
      constructor(ctx: unknown, env: unknown) {
        super(ctx, wrapEnv(env));
      }
    };
    const fetch = (Base.prototype as { fetch?: unknown }).fetch;
    if (typeof fetch === "function" && (capture !== NO_CAPTURE || withEnv)) {
      Object.defineProperty(main.prototype, "fetch", {
        value: function (this: { ctx?: unknown; env?: unknown }, request: Request) {
          const run = () => fetch.call(this, request);
          return capture.watch(withEnv ? () => withEnv(this.env, run) : run, this.ctx);
        },
        writable: true,
        configurable: true,
      });
    }
    return main;
  }
  const main: Record<string, unknown> = {};
  if (def !== null && typeof def === "object") {
    for (const k of Object.keys(def)) {
      const h = (def as Record<string, unknown>)[k];
      main[k] =
        typeof h === "function"
          ? (arg: unknown, env: unknown, ctx: unknown) => {
              const appEnv = wrapEnv(env);
              const run = () => (h as Handler).call(def, arg, appEnv, ctx);
              return capture.watch(withEnv ? () => withEnv(appEnv, run) : run, ctx);
            }
          : h;
    }
  }
  return main;
}

/**
 * The app's class with the storage guard and the supervisor's storage
 * method. The app may call or replace that method itself: it then only
 * turns off its own friendly error, since the host measures the database
 * and stops an object that grows past the quota (objects/app-object.ts).
 */
function guardedClass(cls: Constructor, wrapEnv: (env: unknown) => unknown, capture: Capture): Constructor {
  return class extends cls {
    #dwGuard: StorageGuard;
    #dwCtx: unknown;
    constructor(ctx: unknown, env: unknown) {
      // The id the app minted (the supervisor passes it as the facet's id and props), never the host's key.
      const props = (ctx as { props?: ObjectProps }).props;
      if (props?.dwId && props.dwClass) {
        Object.defineProperty(ctx, "id", { value: new ObjectId(props.dwId, props.dwClass, props.dwName) });
        // Facets cannot set alarms: the supervisor owns the object's alarm.
        const api = (env as { OBJECTS?: AlarmApi } | null)?.OBJECTS;
        if (api) hostAlarms((ctx as DurableObjectState).storage, api, props);
      }
      explainNoExports(ctx);
      const guard = guardStorage(ctx as DurableObjectState);
      super(ctx, wrapEnv(env));
      this.#dwGuard = guard;
      this.#dwCtx = ctx;
    }
    /** The object's alarm fired (the supervisor calls this): runs the class's own alarm(). */
    [ALARM_METHOD](info: unknown): unknown {
      const alarm = (this as { alarm?: (info: unknown) => unknown }).alarm;
      return typeof alarm === "function" ? alarm.call(this, info) : undefined;
    }
    /** Sets the guard; returns the size the isolate sees, a hint the host only uses to measure sooner. */
    [STORAGE_METHOD](readOnly: unknown): number {
      this.#dwGuard.readOnly = readOnly === true;
      // The supervisor calls this after the object's requests: lines its methods logged go out here.
      capture.flush(this.#dwCtx);
      return this.#dwGuard.size();
    }
  };
}
