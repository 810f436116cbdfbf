/**
 * Names the host and its code in the app's isolate agree on. Each starts
 * with `__dw`, which no app module, env var or class may (HOST_MODULE_PREFIX).
 */

/** The host's own main module; it imports the app's main module. */
export const WRAPPER_MODULE = "__dw_main.js";

/** The method AppObject calls on the facet: sets the guard read-only or not, flushes logs, returns the size the isolate sees. */
export const STORAGE_METHOD = "__dw_storage";

/**
 * Headers an object request carries from the app's stub to the host's
 * objects entrypoint (which checks them, and strips them before the object
 * sees the request): an env.OBJECTS name, or a namespace's class, id and the
 * name the id was made from (names as namespaces.ts headerValue()).
 */
export const OBJECT_HEADERS = {
  name: "x-dw-object",
  className: "x-dw-class",
  id: "x-dw-id",
  idName: "x-dw-id-name",
} as const;

/** On an answer of the host's objects entrypoint: the request was refused; the body is why. The stub throws it. */
export const REFUSAL_HEADER = "x-dw-refused";

/** The wrapper's entrypoint the host calls once before a version goes live: loading it evaluates every module. */
export const PROBE_ENTRYPOINT = "__dw_probe";

/** The wrapper's entrypoint that runs the app's `seed(env)` export in a preview slot (data-plane/seed-hook.ts). */
export const SEED_ENTRYPOINT = "__dw_seed";
/** The wrapper's entrypoint the host's cron tick calls: `run(cron, scheduledTime)` runs the app's scheduled handler. */
export const SCHEDULED_ENTRYPOINT = "__dw_scheduled";

/** The method AppObject calls on the facet when the object's alarm fires: runs the class's alarm(). */
export const ALARM_METHOD = "__dw_alarm";

/** The env key of the host's AppLogs entrypoint, for an app that keeps logs. */
export const LOGS_BINDING = "__dw_LOGS";

/** Log lines kept per app (the newest); the isolate buffers no more than twice this. */
export const LOGS_KEPT = 200;
