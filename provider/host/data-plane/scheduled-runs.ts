/**
 * Cron triggers of apps. The host Worker carries one cron trigger
 * (`* * * * *`, uploaded by the Platform); on each tick it reads the
 * Catalog's cron index, picks the (app, cron) pairs due at the tick's
 * scheduledTime, and runs them a few at a time: each run is admitted against
 * the app's requestsPerMinute like a request, then calls the app's
 * scheduled handler through the wrapper's scheduled entrypoint, in the app's
 * own isolate with its own limits and outbound policy. A refused or failed
 * run lands in the app's errors (and logs, for an app that keeps them); it
 * never stops the other apps' runs.
 */
import { cronMatches } from "../../shared/schema/index.js";
import { appControlStub, catalogStub } from "../env.js";
import type { AppCrons } from "../objects/cron-table.js";
import { SCHEDULED_ENTRYPOINT } from "../app-isolate/names.js";
import { admit } from "./rate-limit.js";
import { resolveApp } from "./version-cache.js";
import { loadAppWorker } from "./worker-code.js";

/**
 * Runs in flight at once: Cloudflare lets one Worker invocation have 4
 * dynamic workers with requests in flight (Dynamic Workers limits).
 */
export const SCHEDULED_CONCURRENCY = 4;

/**
 * How long a tick waits for one run before it goes on without it (the run
 * is recorded as failed): an app whose handler never finishes holds one of
 * the tick's slots no longer than this, so it cannot starve other apps' runs.
 */
export const SCHEDULED_RUN_WAIT_MS = 30_000;

export type RunOutcome = "ran" | "failed" | "rate_limited" | "not_deployed";

export interface ScheduledRun {
  app: string;
  cron: string;
  scheduledTime: number;
  outcome: RunOutcome;
  /** Set when the run did not go well: why, as recorded in the app's errors. */
  message?: string;
  requestId?: string;
}

/** The (app, cron) pairs due at `time`, in the index's order. */
export function dueRuns(index: AppCrons[], time: number): { app: string; cron: string }[] {
  const out: { app: string; cron: string }[] = [];
  for (const { app, crons } of index) {
    for (const cron of crons) {
      try {
        if (cronMatches(cron, time)) out.push({ app, cron });
      } catch {
        // Stored crons passed the schema; one that no longer parses (a library change) skips only itself.
      }
    }
  }
  return out;
}

/** The host's cron tick: every app run due at `scheduledTime`, at most SCHEDULED_CONCURRENCY at once. */
export async function runCronTick(env: Env, ctx: ExecutionContext, scheduledTime: number): Promise<ScheduledRun[]> {
  const due = dueRuns(await catalogStub(env).crons(), scheduledTime);
  const results: ScheduledRun[] = [];
  let next = 0;
  const worker = async () => {
    while (next < due.length) {
      const { app, cron } = due[next++]!;
      results.push(await runScheduled(env, ctx, app, cron, scheduledTime));
    }
  };
  await Promise.all(Array.from({ length: Math.min(SCHEDULED_CONCURRENCY, due.length) }, worker));
  return results;
}

/** One run of an app's scheduled handler (a tick's, or one fired through the control API). */
export async function runScheduled(
  env: Env,
  ctx: ExecutionContext,
  app: string,
  cron: string,
  scheduledTime: number,
): Promise<ScheduledRun> {
  const run = { app, cron, scheduledTime };
  let resolved: Awaited<ReturnType<typeof resolveApp>>;
  try {
    resolved = await resolveApp(env, app);
  } catch (e) {
    return failed(env, run, `the host could not resolve the app: ${describe(e)}`, false);
  }
  if (!resolved) return { ...run, outcome: "not_deployed", message: `no version of '${app}' is deployed` };
  const admission = await admit(env, ctx, resolved);
  if (!admission.ok) {
    const message = `scheduled run of '${cron}' refused: the app is over its quota of ${admission.limit} requests per minute`;
    return { ...(await failed(env, run, message, resolved.logs)), outcome: "rate_limited" };
  }
  try {
    const entry = loadAppWorker(env, ctx.exports, resolved).getEntrypoint(SCHEDULED_ENTRYPOINT) as unknown as {
      run(cron: string, time: number): Promise<void>;
    };
    const finished = await Promise.race([
      entry.run(cron, scheduledTime).then(() => true),
      scheduler.wait(SCHEDULED_RUN_WAIT_MS).then(() => false),
    ]);
    if (finished) return { ...run, outcome: "ran" };
    const message = `scheduled run of '${cron}' was still running after ${SCHEDULED_RUN_WAIT_MS / 1000} s; the tick went on without it`;
    return failed(env, run, message, resolved.logs);
  } catch (e) {
    return failed(env, run, `scheduled run of '${cron}' failed: ${describe(e)}`, resolved.logs);
  }
}

function describe(e: unknown): string {
  return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
}

/** Records a run that did not go well in the app's errors (and logs), and says so. */
async function failed(
  env: Env,
  run: { app: string; cron: string; scheduledTime: number },
  message: string,
  logs: boolean,
): Promise<ScheduledRun> {
  const requestId = crypto.randomUUID();
  const control = appControlStub(env, run.app);
  await Promise.all([
    control.recordError(requestId, message).catch(() => {}),
    logs ? control.appendLogs([{ at: Date.now(), level: "error", message }]).catch(() => {}) : undefined,
  ]);
  return { ...run, outcome: "failed", message, requestId };
}
