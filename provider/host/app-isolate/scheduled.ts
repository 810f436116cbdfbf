/**
 * Runs the app's `scheduled(controller, env, ctx)` for the host's cron tick
 * (data-plane/scheduled-runs.ts) through the wrapper's scheduled entrypoint:
 * a Workers RPC call, since a loaded worker's Fetcher takes no `scheduled`
 * event without an experimental flag. Convenience only: the host admits the
 * run against requestsPerMinute and records its failure before and after.
 */

/** What Workers' ScheduledController holds. */
export interface ScheduledControllerShape {
  readonly cron: string;
  readonly scheduledTime: number;
  noRetry(): void;
}

/** A ScheduledController for one run. The host retries no run, so noRetry() has nothing to turn off. */
export function scheduledController(cron: string, scheduledTime: number): ScheduledControllerShape {
  return Object.freeze({ cron, scheduledTime, type: "scheduled", noRetry() {} });
}

type Handler = (controller: unknown, env: unknown, ctx: unknown) => unknown;

/**
 * Calls the wrapped default export's scheduled handler: a handler object's
 * `scheduled`, or a WorkerEntrypoint class's `scheduled` method on a new
 * instance (as Workers makes one per event). Throws when the app has none.
 */
export async function runScheduled(
  main: unknown,
  cron: string,
  scheduledTime: number,
  env: unknown,
  ctx: unknown,
): Promise<void> {
  const controller = scheduledController(cron, scheduledTime);
  const { ctx: runCtx, settled } = collectingWaitUntil(ctx as ExecutionContext);
  if (typeof main === "function") {
    const instance = new (main as new (ctx: unknown, env: unknown) => { scheduled?: Handler })(runCtx, env);
    if (typeof instance.scheduled !== "function") throw noHandler();
    await instance.scheduled(controller, undefined, undefined);
  } else {
    const handler = (main as { scheduled?: Handler } | null)?.scheduled;
    if (typeof handler !== "function") throw noHandler();
    await handler(controller, env, runCtx);
  }
  await settled();
}

/**
 * The run's ctx, whose waitUntil promises the run also waits for: a cron
 * event is done when they are (and fails when one rejects), as on Workers,
 * where the RPC call that carries the run would otherwise return first.
 */
function collectingWaitUntil(ctx: ExecutionContext): { ctx: ExecutionContext; settled: () => Promise<unknown> } {
  const pending: Promise<unknown>[] = [];
  const proxy = new Proxy(ctx, {
    get(target, key) {
      if (key === "waitUntil") {
        return (p: Promise<unknown>) => {
          pending.push(Promise.resolve(p));
          target.waitUntil(Promise.resolve(p).catch(() => {}));
        };
      }
      const v = Reflect.get(target, key);
      return typeof v === "function" ? v.bind(target) : v;
    },
  });
  return { ctx: proxy, settled: async () => Promise.all(pending) };
}

function noHandler(): Error {
  return new TypeError(
    "the app has cron triggers but its default export has no scheduled() handler: export default { scheduled(controller, env, ctx) { … } }",
  );
}
