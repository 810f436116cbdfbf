/**
 * Names the host and its code in the app's isolate agree on. Each starts
 * with `__dw`, which no app module, env var or class may (HOST_MODULE_PREFIX).
 */

/** The host's own main module; it imports the app's main module. */
export const WRAPPER_MODULE = "__dw_main.js";

/** The method AppObject calls on the facet: sets the guard read-only or not, flushes logs, returns the size the isolate sees. */
export const STORAGE_METHOD = "__dw_storage";

/** The env key of the host's AppLogs entrypoint, for an app that keeps logs. */
export const LOGS_BINDING = "__dw_LOGS";

/** Log lines kept per app (the newest); the isolate buffers no more than twice this. */
export const LOGS_KEPT = 200;
