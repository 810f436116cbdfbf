/**
 * `dynamic-workers trigger <app> [--cron "<expr>"]`: runs an app's
 * scheduled handler now through the control API (POST /apps/:app/scheduled),
 * as its cron trigger would, and says how the run went.
 */
import { UsageError } from "./local-command.js";
import { WHERE, client, failing, parseFlags } from "./control-access.js";

export const TRIGGER_USAGE = `Usage: dynamic-workers trigger <name> [--cron "<expr>"] [--json] [--control-url <url>] [--stack <name>]

Runs the app's scheduled(controller, env, ctx) handler now, as its cron
trigger would; the run counts against its requestsPerMinute, and a failure
is recorded in its errors ('dynamic-workers errors <name>').

  --cron "<expr>"      the cron the controller names (default: the app's first)
  --json               the run as one JSON object, for scripts
${WHERE}

Exit codes: 0 the handler ran; 1 it failed or was refused, no such app, or the
control API refused or could not be reached; 2 bad usage.`;

/** `--cron <expr>` taken out of argv, the rest left for the common flags. */
function takeCron(argv: string[]): { cron?: string; rest: string[] } {
  const rest: string[] = [];
  let cron: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    if (argv[i] !== "--cron") {
      rest.push(argv[i]!);
      continue;
    }
    const v = argv[++i];
    if (v === undefined || v.startsWith("--")) throw new UsageError("--cron needs a value, e.g. --cron '*/5 * * * *'");
    cron = v;
  }
  return { cron, rest };
}

export async function runTrigger(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(TRIGGER_USAGE);
    return 0;
  }
  const { cron, rest } = takeCron(argv);
  const flags = parseFlags(rest);
  const [name, extra] = flags.rest;
  if (!name) throw new UsageError("which app? dynamic-workers trigger <name>");
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const c = client(flags);
  const answer = await failing(() => c.runScheduled(name, cron === undefined ? {} : { cron }));
  if (typeof answer === "number") return answer;
  const { run } = answer;
  if (flags.json) console.log(JSON.stringify(run));
  else if (run.outcome === "ran") console.log(`${name}: scheduled('${run.cron}') ran`);
  else console.error(`dynamic-workers: ${name}: ${run.outcome}: ${run.message ?? ""}`.trimEnd());
  return run.outcome === "ran" ? 0 : 1;
}
