/**
 * How the operating commands (apps, app, logs, errors, versions, rollback,
 * rollout) find the control API, parse their common flags, and print tables
 * and failures.
 */
import { spawnSync } from "node:child_process";
import { ControlClient } from "../control-client/client.js";
import { UsageError } from "./local-command.js";
import { CONTROL_TOKEN_ENV } from "./preview-comment-command.js";

export const CONTROL_URL_ENV = "DYNAMIC_WORKERS_CONTROL_URL";

export const WHERE = `The control URL: --control-url, else ${CONTROL_URL_ENV}, else the stack output 'controlUrl'.
The token: ${CONTROL_TOKEN_ENV}, else the stack output 'controlToken' (a secret;
read with 'pulumi stack output controlToken --show-secrets'). Stack outputs are
read with the pulumi CLI from the current folder, for --stack or the selected one.`;

export interface Flags {
  json: boolean;
  controlUrl?: string;
  stack?: string;
  rest: string[];
  /** A command's own options (`--follow`, `--version <v>`): name → true, or its value. */
  own: Record<string, string | true>;
}

/** The common flags, and a command's own: `switches` take no value, `values` take one. */
export function parseFlags(argv: string[], own: { switches?: string[]; values?: string[] } = {}): Flags {
  const flags: Flags = { json: false, rest: [], own: {} };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    const name = a.replace(/^--/, "");
    if (a === "--json") flags.json = true;
    else if (a === "--control-url" || a === "--stack" || own.values?.includes(name)) {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      if (a === "--control-url") flags.controlUrl = v;
      else if (a === "--stack") flags.stack = v;
      else flags.own[name] = v;
    } else if (a.startsWith("--") && own.switches?.includes(name)) flags.own[name] = true;
    else if (a.startsWith("-") && !/^-\d/.test(a)) throw new UsageError(`unknown option '${a}'`);
    else flags.rest.push(a);
  }
  return flags;
}

/** A stack output through the pulumi CLI, or undefined when there is none (or no pulumi). */
export function stackOutput(name: string, stack: string | undefined, secret: boolean): string | undefined {
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

export function table(rows: Record<string, string>[]): string {
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
