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
 * The guard runs inside the app's isolate, so it holds for code that does
 * not set out to defeat it; it is not a sandbox boundary (see README).
 * Every name it declares starts with __dw_, which app names may not.
 */

/** The host's own main module; it imports the app's main module. */
export const WRAPPER_MODULE = "__dw_main.js";

/** The method AppObject calls on the facet: sets read-only, returns the database size in bytes. */
export const STORAGE_METHOD = "__dw_storage";

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
    w = Object.freeze({ ...env, OBJECTS });
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
    __dw_main[k] = typeof h === "function" ? (arg, env, ctx) => h.call(__dw_default, arg, __dw_env(env), ctx) : h;
  }
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

export function wrapperSource(mainModule: string, durableObject: string | null, guardKey: string): string {
  const spec = JSON.stringify(`./${mainModule}`);
  const parts = [`import * as __dw_app from ${spec};`, `export * from ${spec};`, PRELUDE];
  if (durableObject) {
    const cls = JSON.stringify(durableObject);
    parts.push(
      STORAGE_GUARD,
      `const __dw_key = ${JSON.stringify(guardKey)};
const __dw_class = __dw_app[${cls}];
if (typeof __dw_class !== "function") throw new Error("the app declares durableObject " + ${cls} + " but its main module does not export such a class");
const __dw_do = class extends __dw_class {
  #dwGuard;
  constructor(ctx, env) { __dw_hide_facets(ctx); const guard = __dw_guard(ctx); super(ctx, __dw_env(env)); this.#dwGuard = guard; }
  ${STORAGE_METHOD}(key, readOnly) {
    if (key !== __dw_key) throw new Error("not callable by the app");
    this.#dwGuard.readOnly = readOnly === true;
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
