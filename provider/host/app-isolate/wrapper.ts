import { LOGS_KEPT } from "../objects/usage-store.js";

/**
 * The host's wrapper module, loaded as each app's main module. It imports
 * the app's main module and:
 * - gives the app a friendly `env.OBJECTS` (stubs with `fetch()` and any RPC
 *   method) over the host's AppObjects entrypoint;
 * - sends requests to object "main" when the app has a Durable Object class
 *   but no fetch handler;
 * - runs the app's class with a storage guard: the supervisor reads the
 *   database size through `__dw_storage(key, readOnly)` (the key is the
 *   host's, so the app's own code cannot call it) and, when the app is over
 *   maxStorageBytes, sets it read-only (writes throw; reads and deletes work).
 * - for an app that keeps logs, collects its console lines and the exceptions
 *   its handlers throw, and hands them to the host's AppLogs entrypoint
 *   (`env.__dw_LOGS`, hidden from the app's env) at most every 0.5 s per
 *   isolate, in the context of a request that is ending (its waitUntil).
 *   A tail would do this too, but a tail is an extra invocation of the host
 *   after every request, logging or not (about 1.4x the host's CPU per
 *   request, measured); this costs nothing for a request that logs nothing.
 * The guard runs inside the app's isolate, so it holds for code that does
 * not set out to defeat it; it is not a sandbox boundary (see README).
 * Neither is log capture: an app can only lose or invent its own lines.
 * Every name it declares starts with __dw_, which app names may not.
 */

/** The host's own main module; it imports the app's main module. */
export const WRAPPER_MODULE = "__dw_main.js";

/** The method AppObject calls on the facet: sets read-only, returns the database size in bytes. */
export const STORAGE_METHOD = "__dw_storage";

/** The env key of the host's AppLogs entrypoint, for an app that keeps logs. */
export const LOGS_BINDING = "__dw_LOGS";

/** An isolate hands its lines to the host at most this often. */
const FLUSH_MS = 500;

const PRELUDE = `
function __dw_stub(api, name) {
  if (typeof name !== "string") throw new TypeError("OBJECTS.get(name): name must be a string");
  return new Proxy(Object.freeze(Object.create(null)), {
    get(_, prop) {
      if (typeof prop !== "string" || prop === "then") return undefined;
      if (prop === "name") return name;
      if (prop === "fetch") return (input, init) => api.objectFetch(name, new Request(input, init));
      return (...args) => api.objectCall(name, prop, args);
    },
  });
}
const __dw_wrapped = new WeakMap();
function __dw_env(env) {
  if (env === null || typeof env !== "object" || !env.OBJECTS) return env;
  let w = __dw_wrapped.get(env);
  if (!w) {
    const api = env.OBJECTS;
    const OBJECTS = Object.freeze({ get: (name) => __dw_stub(api, name), delete: (name) => api.objectDelete(name) });
    const { ${LOGS_BINDING}: sink, ...own } = env;
    if (sink) __dw_logs.sink = sink;
    w = Object.freeze({ ...own, OBJECTS });
    __dw_wrapped.set(env, w);
  }
  return w;
}
const __dw_default = __dw_app.default;
let __dw_main = {};
if (typeof __dw_default === "function") {
  __dw_main = class extends __dw_default { constructor(ctx, env) { super(ctx, __dw_env(env)); } };
} else if (__dw_default !== null && typeof __dw_default === "object") {
  for (const k of Object.keys(__dw_default)) {
    const h = __dw_default[k];
    __dw_main[k] = typeof h === "function" ? (arg, env, ctx) => __dw_watch(() => h.call(__dw_default, arg, __dw_env(env), ctx), ctx) : h;
  }
}
`;

/** Without logs: handlers run as they are. */
const NO_LOGS = `
const __dw_logs = { sink: null };
function __dw_watch(run) { return run(); }
function __dw_flush() {}
`;

/**
 * With logs: console lines and handler exceptions go to a buffer in the
 * isolate; a handler that ends with lines buffered and no hand-over pending
 * starts one in its own waitUntil: it waits out the rest of FLUSH_MS since
 * the last, then hands the buffer over, again while lines keep coming (for
 * at most 20 s; a later request starts the next). The buffer and the
 * pending flag are values shared by requests; no request awaits another's
 * promise. A hand-over whose request died is taken over after 5 s.
 */
const LOGS = `
const __dw_logs = { sink: null, lines: [], pendingSince: 0, last: 0 };
const __dw_kept = ${LOGS_KEPT};
function __dw_text(v) {
  if (typeof v === "string") return v;
  if (v instanceof Error) return v.name + ": " + v.message;
  try { return JSON.stringify(v) ?? String(v); } catch { return String(v); }
}
function __dw_line(level, message) {
  const lines = __dw_logs.lines;
  lines.push({ at: Date.now(), level, message });
  // Only the newest ${LOGS_KEPT} are kept anyway.
  if (lines.length > 2 * __dw_kept) lines.splice(0, lines.length - __dw_kept);
}
for (const level of ["log", "info", "warn", "error", "debug"]) {
  const original = console[level];
  if (typeof original !== "function") continue;
  console[level] = function (...args) {
    __dw_line(level, args.map(__dw_text).join(" "));
    return original.apply(this, args);
  };
}
function __dw_flush(ctx) {
  const L = __dw_logs;
  if (!L.lines.length || !L.sink || !ctx || typeof ctx.waitUntil !== "function") return;
  const now = Date.now();
  if (L.pendingSince && now - L.pendingSince < 5000) return;
  L.pendingSince = now;
  ctx.waitUntil((async () => {
    try {
      while (L.lines.length && Date.now() - now < 20000) {
        const wait = ${FLUSH_MS} - (Date.now() - L.last);
        if (wait > 0) await scheduler.wait(wait);
        const lines = L.lines;
        L.lines = [];
        L.last = Date.now();
        await L.sink.append(lines);
      }
    } catch {
      // The host is unreachable: these lines are lost, the app is not.
    } finally {
      if (L.pendingSince === now) L.pendingSince = 0;
    }
  })());
}
function __dw_exception(e) {
  // workerd's words when the request the app works for is gone (its client left): not the app's error.
  const level = e instanceof Error && e.message === "Network connection lost." ? "disconnect" : "exception";
  __dw_line(level, e instanceof Error ? e.name + ": " + e.message : "Uncaught " + __dw_text(e));
}
function __dw_watch(run, ctx) {
  let r;
  try {
    r = run();
  } catch (e) {
    __dw_exception(e);
    __dw_flush(ctx);
    throw e;
  }
  if (r === null || typeof r !== "object" || typeof r.then !== "function") {
    __dw_flush(ctx);
    return r;
  }
  return r.then(
    (v) => { __dw_flush(ctx); return v; },
    (e) => { __dw_exception(e); __dw_flush(ctx); throw e; },
  );
}
if (typeof __dw_default === "function" && typeof __dw_default.prototype?.fetch === "function") {
  const fetch = __dw_default.prototype.fetch;
  Object.defineProperty(__dw_main.prototype, "fetch", {
    value: function (request) { return __dw_watch(() => fetch.call(this, request), this.ctx); },
    writable: true,
    configurable: true,
  });
}
`;

const STORAGE_GUARD = `
// Comments, string literals and quoted names are removed first, so neither hides nor fakes a write.
const __dw_write_words = /\\b(insert|update|create|alter)\\b|\\breplace\\b(?!\\s*\\()/i;
function __dw_is_write(query) {
  const bare = String(query)
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/\\/\\*[\\s\\S]*?(\\*\\/|$)/g, " ")
    .replace(/--[^\\n]*/g, " ");
  return __dw_write_words.test(bare);
}
function __dw_refuse() {
  throw new Error("this app is over its maxStorageBytes quota: writes are refused until its stored bytes fall below the quota or the quota grows (reads and deletes still work)");
}
function __dw_guard(ctx) {
  // The runtime insists on the real state object, so the guard patches its storage in place.
  const storage = ctx.storage;
  const sql = storage.sql;
  const exec = sql.exec;
  const put = storage.put;
  const state = { readOnly: false, size: () => sql.databaseSize };
  Object.defineProperty(sql, "exec", {
    value: (query, ...args) => { if (state.readOnly && __dw_is_write(query)) __dw_refuse(); return exec.call(sql, query, ...args); },
  });
  Object.defineProperty(storage, "put", {
    value: async (...args) => { if (state.readOnly) __dw_refuse(); return put.apply(storage, args); },
  });
  return state;
}
function __dw_hide_facets(ctx) {
  // An app's objects are counted and sized one database each: no nested facets.
  Object.defineProperty(ctx, "facets", { value: undefined });
  if (ctx.facets !== undefined) throw new Error("the host could not isolate this object's storage");
}
`;

export function wrapperSource(mainModule: string, durableObject: string | null, guardKey: string, logs = false): string {
  const spec = JSON.stringify(`./${mainModule}`);
  const parts = [`import * as __dw_app from ${spec};`, `export * from ${spec};`, PRELUDE, logs ? LOGS : NO_LOGS];
  if (durableObject) {
    const cls = JSON.stringify(durableObject);
    parts.push(
      STORAGE_GUARD,
      `const __dw_key = ${JSON.stringify(guardKey)};
const __dw_class = __dw_app[${cls}];
if (typeof __dw_class !== "function") throw new Error("the app declares durableObject " + ${cls} + " but its main module does not export such a class");
const __dw_do = class extends __dw_class {
  #dwGuard;
  #dwCtx;
  constructor(ctx, env) { __dw_hide_facets(ctx); const guard = __dw_guard(ctx); super(ctx, __dw_env(env)); this.#dwGuard = guard; this.#dwCtx = ctx; }
  ${STORAGE_METHOD}(key, readOnly) {
    if (key !== __dw_key) throw new Error("not callable by the app");
    this.#dwGuard.readOnly = readOnly === true;
    // The supervisor calls this after the object's requests: lines its methods logged go out here.
    __dw_flush(this.#dwCtx);
    return this.#dwGuard.size();
  }
};
// A string export name: the class may be named like a global (Proxy, Object) without shadowing it here.
export { __dw_do as ${cls} };
if (typeof __dw_main === "object" && typeof __dw_main.fetch !== "function") {
  __dw_main.fetch = (request, env) => __dw_env(env).OBJECTS.get("main").fetch(request);
}`,
    );
  }
  parts.push(`export default __dw_main;`);
  return parts.join("\n");
}
