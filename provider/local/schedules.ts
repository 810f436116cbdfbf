/**
 * Cron triggers of the local target's scripts: `PUT` and `GET
 * /accounts/:account_id/workers/scripts/:script_name/schedules` as
 * Cloudflare takes and answers them, and a timer that calls each script's
 * scheduled handler at the start of every minute its crons match (UTC), as
 * Cloudflare's cron triggers do.
 */
import { cronMatches, cronProblem } from "../shared/schema/index.js";
import type { Account } from "./account.js";
import { CfApiError, envelope, type Envelope } from "./errors.js";
import type { StoredSchedule, StoredScript } from "./state.js";

/** The schedules as Cloudflare answers them. */
function answer(script: StoredScript): Envelope<unknown> {
  return envelope({
    schedules: (script.schedules ?? []).map((s) => ({
      cron: s.cron,
      created_on: s.createdOn,
      modified_on: s.modifiedOn,
    })),
  });
}

export function getSchedules(account: Account, name: string): Envelope<unknown> {
  return answer(account.script(name));
}

/** The body is `[{ "cron": "…" }, …]`; each cron is checked as Cloudflare checks it. */
export async function putSchedules(account: Account, name: string, body: unknown): Promise<Envelope<unknown>> {
  if (!Array.isArray(body)) throw new CfApiError("bad_request", 'body: expected an array of { "cron": "…" }');
  const prev = new Map((account.script(name).schedules ?? []).map((s) => [s.cron, s]));
  const now = new Date().toISOString();
  const schedules: StoredSchedule[] = body.map((item, i) => {
    const cron = (item as { cron?: unknown } | null)?.cron;
    if (typeof cron !== "string") throw new CfApiError("bad_request", `body[${i}].cron: expected a string`);
    const problem = cronProblem(cron);
    if (problem) throw new CfApiError("bad_request", `body[${i}].cron: invalid cron expression '${cron}': ${problem}`);
    return prev.get(cron) ?? { cron, createdOn: now, modifiedOn: now };
  });
  return answer(await account.setSchedules(name, schedules));
}

/** Every script's crons due at `time` (a minute's start): each scheduled handler called once per cron. */
export async function runDueSchedules(
  account: Account,
  time: number,
  log: (line: string) => void,
): Promise<{ script: string; cron: string }[]> {
  const due: { script: string; cron: string }[] = [];
  for (const script of Object.values(account.snapshot().scripts)) {
    for (const { cron } of script.schedules ?? []) {
      if (cronMatches(cron, time)) due.push({ script: script.name, cron });
    }
  }
  await Promise.all(
    due.map(({ script, cron }) =>
      account.runtime.scheduled(script, cron, time).catch((e: unknown) => {
        log(`script ${script}: cron '${cron}' failed: ${(e as Error).message}`);
      }),
    ),
  );
  return due;
}

/** Runs the due schedules at the start of every minute until stopped. */
export function startCronTimer(account: Account, log: (line: string) => void): { stop(): void } {
  let timer: NodeJS.Timeout | undefined;
  let stopped = false;
  let lastMinute = 0;
  const arm = () => {
    if (stopped) return;
    // Never the same minute twice, even for a timer that fires a hair early.
    lastMinute = Math.max(Math.floor(Date.now() / 60_000) + 1, lastMinute + 1);
    const next = lastMinute * 60_000;
    timer = setTimeout(
      () => {
        // The next minute is armed first: a tick that runs long does not make the next one late.
        arm();
        void runDueSchedules(account, next, log);
      },
      Math.max(0, next - Date.now()),
    );
    timer.unref();
  };
  arm();
  return {
    stop() {
      stopped = true;
      clearTimeout(timer);
    },
  };
}
