/**
 * `dynamic-workers logs <app> --follow`: a live tail, like `wrangler tail`.
 * It polls the logs route (the host keeps an app's newest 200 lines) and
 * prints each line once, oldest first, until Ctrl-C (exit 0). A host that
 * goes away mid-tail is retried, said once on stderr; one that cannot be
 * reached (or an app that does not exist) at the start ends it with 1.
 */
import type { AppLogLine } from "../shared/control/responses.js";
import { client, parseFlags } from "./control-access.js";
import { UsageError } from "./local-command.js";
import { paint } from "./style.js";

export const FOLLOW_USAGE_LINES = `  --follow, -f         keep printing new lines as they come, until Ctrl-C
  --interval <ms>      how often --follow asks the host (default 1000)`;

/** The lines printed first, from what the host has (as tail -f starts with the last lines). */
const FIRST_LINES = 10;

const keyOf = (l: AppLogLine) => `${l.at}\u0000${l.level}\u0000${l.message}`;

function print(l: AppLogLine, json: boolean): void {
  if (json) console.log(JSON.stringify(l));
  else {
    const level =
      l.level === "error" || l.level === "exception"
        ? paint("red", l.level)
        : l.level === "warn"
          ? paint("yellow", l.level)
          : paint("dim", l.level);
    console.log(`${paint("dim", l.at)}  ${level}  ${l.message}`);
  }
}

export async function runFollow(argv: string[]): Promise<number> {
  const flags = parseFlags(
    argv.map((a) => (a === "-f" ? "--follow" : a)),
    { switches: ["follow"], values: ["interval"] },
  );
  const [app, extra] = flags.rest;
  if (!app) throw new UsageError("which app? dynamic-workers logs <app> --follow");
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const intervalMs = flags.own.interval === undefined ? 1000 : Number(flags.own.interval);
  if (!Number.isInteger(intervalMs) || intervalMs < 100 || intervalMs > 60_000)
    throw new UsageError(`--interval must be milliseconds from 100 to 60000, got '${flags.own.interval}'`);
  const c = client(flags);
  let stop: () => void = () => {};
  let stopped = false;
  const onSignal = () => {
    stopped = true;
    stop();
  };
  process.once("SIGINT", onSignal);
  process.once("SIGTERM", onSignal);
  try {
    let seen = new Set<string>();
    let first = true;
    let lost = false;
    while (!stopped) {
      try {
        const { logs } = await c.logs(app);
        const fresh = logs.filter((l) => !seen.has(keyOf(l))).reverse();
        for (const l of first ? fresh.slice(-FIRST_LINES) : fresh) print(l, flags.json);
        seen = new Set(logs.map(keyOf));
        if (first) console.error(paint("dim", `following the logs of '${app}'; Ctrl-C stops`, process.stderr));
        if (lost) console.error(paint("dim", "the control API answers again", process.stderr));
        first = false;
        lost = false;
      } catch (e) {
        if (first) {
          console.error(`dynamic-workers: ${(e as Error).message}`);
          return 1;
        }
        if (!lost)
          console.error(paint("yellow", `lost the control API (${(e as Error).message}); retrying`, process.stderr));
        lost = true;
      }
      await new Promise<void>((resolve) => {
        const t = setTimeout(resolve, intervalMs);
        stop = () => {
          clearTimeout(t);
          resolve();
        };
      });
    }
    return 0;
  } finally {
    process.off("SIGINT", onSignal);
    process.off("SIGTERM", onSignal);
  }
}
