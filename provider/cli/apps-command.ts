/**
 * `dynamic-workers apps`, `app <name>`, `logs <name>` and `errors <name>`:
 * every app, or one, with its version and its usage against its quota, its
 * recent log lines and its recorded errors, from the host's control API. The control URL and token come from the environment, else
 * from the Pulumi stack in the current folder (`pulumi stack output`).
 */
import { spawnSync } from "node:child_process";
import type { AppInfo, AppUsage } from "../shared/control/responses.js";
import { ControlClient } from "../control-client/client.js";
import { UsageError } from "./local-command.js";
import { CONTROL_TOKEN_ENV } from "./preview-comment-command.js";

export const CONTROL_URL_ENV = "DYNAMIC_WORKERS_CONTROL_URL";

export const WHERE = `The control URL: --control-url, else ${CONTROL_URL_ENV}, else the stack output 'controlUrl'.
The token: ${CONTROL_TOKEN_ENV}, else the stack output 'controlToken' (a secret;
read with 'pulumi stack output controlToken --show-secrets'). Stack outputs are
read with the pulumi CLI from the current folder, for --stack or the selected one.`;

export const APPS_USAGE = `Usage: dynamic-workers apps [--json] [--control-url <url>] [--stack <name>]

Lists every app on the platform: its current version, objects, stored bytes
and requests this minute, each against its quota, and its errors.

  --json               one JSON array, for scripts
${WHERE}

Exit codes: 0 listed; 1 the control API refused or could not be reached; 2 bad usage.`;

export const APP_USAGE = `Usage: dynamic-workers app <name> [--json] [--control-url <url>] [--stack <name>]

Shows one app: its settings, quota, current version, objects per class and
its usage against its quota.

  --json               one JSON object, for scripts
${WHERE}

Exit codes: 0 shown; 1 no such app, or the control API refused or could not
be reached; 2 bad usage.`;

interface Flags {
  json: boolean;
  controlUrl?: string;
  stack?: string;
  rest: string[];
}

export function parseFlags(argv: string[]): Flags {
  const flags: Flags = { json: false, rest: [] };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") flags.json = true;
    else if (a === "--control-url" || a === "--stack") {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      if (a === "--control-url") flags.controlUrl = v;
      else flags.stack = v;
    } else if (a.startsWith("-")) throw new UsageError(`unknown option '${a}'`);
    else flags.rest.push(a);
  }
  return flags;
}

/** A stack output through the pulumi CLI, or undefined when there is none (or no pulumi). */
function stackOutput(name: string, stack: string | undefined, secret: boolean): string | undefined {
  const args = ["stack", "output", name, ...(secret ? ["--show-secrets"] : []), ...(stack ? ["--stack", stack] : [])];
  const r = spawnSync("pulumi", args, { encoding: "utf8" });
  const out = r.status === 0 ? r.stdout.trim() : "";
  return out || undefined;
}

export function client(flags: Flags): ControlClient {
  const url = flags.controlUrl ?? process.env[CONTROL_URL_ENV] ?? stackOutput("controlUrl", flags.stack, false);
  if (!url)
    throw new UsageError(`no control URL: give --control-url or ${CONTROL_URL_ENV}, or run in a stack's folder`);
  const token = process.env[CONTROL_TOKEN_ENV] ?? stackOutput("controlToken", flags.stack, true);
  if (!token) throw new UsageError(`no control token: set ${CONTROL_TOKEN_ENV}, or export controlToken from the stack`);
  return new ControlClient({ url, token });
}

const bytes = (n: number): string =>
  n >= 1_000_000 ? `${(n / 1_000_000).toFixed(1)} MB` : n >= 1_000 ? `${(n / 1_000).toFixed(1)} KB` : `${n} B`;

function row(info: AppInfo, u: AppUsage): Record<string, string> {
  return {
    NAME: info.name,
    VERSION: info.currentVersion ? info.currentVersion.slice(0, 12) : "-",
    OBJECTS: `${u.objects.count}/${u.objects.limit}`,
    STORED: `${bytes(u.storedBytes.used)}/${bytes(u.storedBytes.limit)}`,
    "REQ/MIN": `${u.requests.thisMinute}/${u.requests.limitPerMinute}`,
    ERRORS: String(u.errors),
  };
}

function table(rows: Record<string, string>[]): string {
  if (rows.length === 0) return "no apps";
  const cols = Object.keys(rows[0]!);
  const width = cols.map((c) => Math.max(c.length, ...rows.map((r) => r[c]!.length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(width[i]!))
      .join("  ")
      .trimEnd();
  return [line(cols), ...rows.map((r) => line(cols.map((c) => r[c]!)))].join("\n");
}

export async function failing<T>(run: () => Promise<T>): Promise<T | number> {
  try {
    return await run();
  } catch (e) {
    if (e instanceof UsageError) throw e;
    console.error(`dynamic-workers: ${(e as Error).message}`);
    return 1;
  }
}

export async function runApps(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(APPS_USAGE);
    return 0;
  }
  const flags = parseFlags(argv);
  if (flags.rest.length) throw new UsageError(`unexpected argument '${flags.rest[0]}'`);
  const c = client(flags);
  const result = await failing(async () => {
    const names: string[] = [];
    for (let cursor: string | undefined; ; ) {
      const page = await c.listApps({ cursor });
      names.push(...page.apps.map((a) => a.name));
      if (!page.cursor) break;
      cursor = page.cursor;
    }
    const shown = await Promise.all(
      names.map(async (n) => {
        const app = await c.getApp(n);
        return app && { app, usage: (await c.usage(n)).usage };
      }),
    );
    // An app deleted between the list and its read is left out.
    return shown.filter((s): s is { app: AppInfo; usage: AppUsage } => s !== null);
  });
  if (typeof result === "number") return result;
  if (flags.json) console.log(JSON.stringify(result.map(({ app, usage }) => ({ ...app, usage }))));
  else console.log(table(result.map(({ app, usage }) => row(app, usage))));
  return 0;
}

export async function runApp(argv: string[]): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(APP_USAGE);
    return 0;
  }
  const flags = parseFlags(argv);
  const [name, extra] = flags.rest;
  if (!name) throw new UsageError("which app? dynamic-workers app <name>");
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const c = client(flags);
  const result = await failing(async () => {
    const app = await c.getApp(name);
    return app && { app, usage: (await c.usage(name)).usage };
  });
  if (typeof result === "number") return result;
  if (!result) {
    console.error(`dynamic-workers: no app named '${name}'`);
    return 1;
  }
  const { app, usage } = result;
  if (flags.json) {
    console.log(JSON.stringify({ ...app, usage }));
    return 0;
  }
  console.log(table([row(app, usage)]));
  const classes = Object.entries(app.objectsByClass).map(([cls, n]) => `${cls} ${n}`);
  console.log(`\nobjects by class: ${classes.join(", ") || "none"}`);
  console.log(`outbound: ${JSON.stringify(app.settings.outbound)}; logs: ${app.settings.logs ? "kept" : "off"}`);
  return 0;
}

const lineUsage = (
  what: string,
  detail: string,
) => `Usage: dynamic-workers ${what} <name> [--json] [--control-url <url>] [--stack <name>]

${detail}

  --json               one JSON array, for scripts
${WHERE}

Exit codes: 0 shown; 1 no such app, or the control API refused or could not
be reached; 2 bad usage.`;

export const LOGS_USAGE = lineUsage(
  "logs",
  "Shows an app's recent console lines and exceptions, newest first (the app keeps\nlogs with 'logs: true' in its settings).",
);
export const ERRORS_USAGE = lineUsage(
  "errors",
  "Shows the errors the host recorded for an app, newest first, with request ids.",
);

/** One app's lines: `pick` reads them; each line printed as `<at> <label> <message>`. */
async function runLines(
  argv: string[],
  usageText: string,
  pick: (c: ControlClient, app: string) => Promise<{ at: string; label: string; message: string }[]>,
): Promise<number> {
  if (argv.includes("--help") || argv.includes("-h")) {
    console.log(usageText);
    return 0;
  }
  const flags = parseFlags(argv);
  const [name, extra] = flags.rest;
  if (!name) throw new UsageError("which app? give its name");
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const c = client(flags);
  const lines = await failing(() => pick(c, name));
  if (typeof lines === "number") return lines;
  if (flags.json) console.log(JSON.stringify(lines));
  else console.log(lines.map((l) => `${l.at}  ${l.label}  ${l.message}`).join("\n") || "nothing yet");
  return 0;
}

export const runLogs = (argv: string[]) =>
  runLines(argv, LOGS_USAGE, async (c, app) =>
    (await c.logs(app)).logs.map((l) => ({ at: l.at, label: l.level, message: l.message })),
  );

export const runErrors = (argv: string[]) =>
  runLines(argv, ERRORS_USAGE, async (c, app) =>
    (await c.errors(app)).errors.map((e) => ({ at: e.at, label: e.requestId, message: e.message })),
  );
