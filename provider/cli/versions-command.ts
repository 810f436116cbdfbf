/**
 * `dynamic-workers versions <app>`, `rollback <app> [version]` and
 * `rollout <app> <percent>`: an app's kept versions and who serves what,
 * and the two instant changes an operator makes without the stack. Both
 * changes warn that the stack now differs and name what reconciles it.
 */
import type { ControlClient } from "../control-client/client.js";
import type { AppInfo, VersionInfo } from "../shared/control/responses.js";
import { RolloutPercent, ROLLOUT_DEFAULTS, rolloutSummary, shortVersion } from "../shared/schema/index.js";
import { WHERE, client, failing, parseFlags, table, type Flags } from "./control-access.js";
import { UsageError } from "./local-command.js";
import { paint, shareBar } from "./style.js";

const EXITS = `Exit codes: 0 done; 1 no such app or version, a refusal (e.g. a rollout the host
stopped), or the control API could not be reached; 2 bad usage.`;

export const VERSIONS_USAGE = `Usage: dynamic-workers versions <app> [--json] [--control-url <url>] [--stack <name>]

Lists an app's kept versions, newest first: when each was stored, its size,
and the share of objects and stateless requests it serves now (a gradual
rollout splits them between the current version and its candidate).

  --json               one JSON object {versions, rollout}, for scripts
${WHERE}

${EXITS}`;

export const ROLLBACK_USAGE = `Usage: dynamic-workers rollback <app> [version] [--json] [--control-url <url>] [--stack <name>]

Instantly serves an earlier kept version (a hash, or a unique prefix of one;
default: the version deployed before the current one). Under a gradual
rollout, rollback without a version cancels it: everything goes back to the
stable version. Objects take the version on their next request.

The stack then differs from what the host serves: 'pulumi refresh' takes the
change into the stack, 'pulumi up' deploys the stack's version again.

  --json               the outcome as JSON
${WHERE}

${EXITS}`;

export const ROLLOUT_USAGE = `Usage: dynamic-workers rollout <app> <percent> [--version <hash>] [--restart]
                               [--max-error-rate <0..1>] [--min-requests <n>] [--json] [--control-url <url>] [--stack <name>]

Instantly sets the share (0.01 to 100, in percent) of the app's objects and
stateless requests that a candidate version serves; 100 makes it current.
Objects are pinned: raising the percent only moves objects to the candidate.

  --version <hash>     the candidate (a hash or a unique prefix); default: the
                       candidate of the app's rollout
  --restart            start again a rollout the host stopped for its error rate
  --max-error-rate <r> stop when the candidate's error rate passes r (default ${ROLLOUT_DEFAULTS.maxErrorRate})
  --min-requests <n>   ...over at least n of its requests (default ${ROLLOUT_DEFAULTS.minRequests})
  --json               the outcome as JSON
${WHERE}

The stack then differs from what the host serves: 'pulumi refresh' takes the
change into the stack, 'pulumi up' deploys the stack's rollout again.

${EXITS}`;

const help = (argv: string[], text: string) => {
  if (!argv.includes("--help") && !argv.includes("-h")) return false;
  console.log(text);
  return true;
};

/** A full version hash from a hash or a unique prefix of one, among the app's kept versions. */
function resolveVersion(versions: VersionInfo[], given: string, app: string): string {
  const matches = versions.filter((v) => v.versionHash.startsWith(given.toLowerCase()));
  if (matches.length === 1) return matches[0]!.versionHash;
  if (matches.length === 0)
    throw new Error(`app '${app}' keeps no version ${given} (see 'dynamic-workers versions ${app}')`);
  throw new Error(`'${given}' is the start of ${matches.length} versions of '${app}'; give more of the hash`);
}

async function appOrFail(c: ControlClient, app: string): Promise<AppInfo> {
  const info = await c.getApp(app);
  if (!info) throw new Error(`no app named '${app}'`);
  return info;
}

function driftWarning(app: string): void {
  console.error(
    paint("yellow", "warning:", process.stderr) +
      ` the stack now differs from what the host serves for '${app}'. ` +
      "Run 'pulumi refresh' to take this change into the stack, or 'pulumi up' to deploy the stack's version again.",
  );
}

export async function runVersions(argv: string[]): Promise<number> {
  if (help(argv, VERSIONS_USAGE)) return 0;
  const flags = parseFlags(argv);
  const [app, extra] = flags.rest;
  if (!app) throw new UsageError("which app? dynamic-workers versions <app>");
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const c = client(flags);
  const r = await failing(async () => {
    const info = await appOrFail(c, app);
    return { versions: (await c.listVersions(app)).versions, rollout: info.rollout ?? null };
  });
  if (typeof r === "number") return r;
  if (flags.json) {
    console.log(JSON.stringify(r));
    return 0;
  }
  if (r.rollout) {
    const { stable, candidate, percent, status, stoppedReason } = r.rollout;
    const state = status === "active" ? paint("cyan", "rolling out") : paint("red", "stopped");
    console.log(`${state} ${rolloutSummary(stable, candidate, percent)}${stoppedReason ? `: ${stoppedReason}` : ""}\n`);
  }
  const rows = r.versions.map((v) => ({
    VERSION: v.versionHash.slice(0, 12),
    CREATED: v.createdAt.replace("T", " ").slice(0, 19),
    SIZE: `${v.size} B`,
    SERVES: v.share ? shareBar(v.share) : "-",
    "": v.current
      ? paint("green", "current")
      : v.versionHash === r.rollout?.candidate
        ? paint("cyan", "candidate")
        : "",
  }));
  console.log(rows.length ? table(rows) : "no versions");
  return 0;
}

export async function runRollback(argv: string[]): Promise<number> {
  if (help(argv, ROLLBACK_USAGE)) return 0;
  const flags = parseFlags(argv);
  const [app, version, extra] = flags.rest;
  if (!app) throw new UsageError("which app? dynamic-workers rollback <app> [version]");
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const c = client(flags);
  const r = await failing(async () => {
    const info = await appOrFail(c, app);
    const versionHash = version ? resolveVersion((await c.listVersions(app)).versions, version, app) : undefined;
    const out = await c.rollback(app, { versionHash, expectedCurrent: info.currentVersion });
    return { ...out, from: info.currentVersion, cancelled: info.rollout ?? null };
  });
  if (typeof r === "number") return r;
  if (flags.json) console.log(JSON.stringify(r));
  else if (r.cancelled)
    console.log(
      `${paint("green", "rolled back")} ${app}: cancelled the rollout ${rolloutSummary(r.cancelled.stable, r.cancelled.candidate, r.cancelled.percent)}; ${shortVersion(r.versionHash)} serves everything`,
    );
  else if (!r.changed) console.log(`${app} already serves ${shortVersion(r.versionHash)}; nothing changed`);
  else console.log(`${paint("green", "rolled back")} ${app}: ${shortVersion(r.from)} → ${shortVersion(r.versionHash)}`);
  if (r.changed) driftWarning(app);
  return 0;
}

function numberFlag(flags: Flags, name: string): number | undefined {
  const v = flags.own[name];
  if (v === undefined) return undefined;
  const n = Number(v);
  if (typeof v !== "string" || !Number.isFinite(n)) throw new UsageError(`--${name} must be a number, got '${v}'`);
  return n;
}

export async function runRollout(argv: string[]): Promise<number> {
  if (help(argv, ROLLOUT_USAGE)) return 0;
  const flags = parseFlags(argv, { switches: ["restart"], values: ["version", "max-error-rate", "min-requests"] });
  const [app, percentText, extra] = flags.rest;
  if (!app || percentText === undefined)
    throw new UsageError("give the app and the percent: dynamic-workers rollout <app> <percent>");
  if (extra) throw new UsageError(`unexpected argument '${extra}'`);
  const percent = RolloutPercent.safeParse(Number(percentText.replace(/%$/, "")));
  if (!percent.success)
    throw new UsageError(`<percent> ${percent.error.issues[0]?.message ?? "is not valid"}, got '${percentText}'`);
  const [maxErrorRate, minRequests] = [numberFlag(flags, "max-error-rate"), numberFlag(flags, "min-requests")];
  const c = client(flags);
  const r = await failing(async () => {
    const info = await appOrFail(c, app);
    const given = flags.own.version;
    const versionHash =
      typeof given === "string"
        ? resolveVersion((await c.listVersions(app)).versions, given, app)
        : info.rollout?.candidate;
    if (!versionHash)
      throw new Error(
        `app '${app}' has no rollout to move; give the candidate with --version <hash> (see 'dynamic-workers versions ${app}')`,
      );
    return c.rollout(app, {
      versionHash,
      percent: percent.data,
      maxErrorRate: maxErrorRate ?? info.rollout?.maxErrorRate,
      minRequests: minRequests ?? info.rollout?.minRequests,
      restart: flags.own.restart === true,
      expectedStable: info.currentVersion,
    });
  });
  if (typeof r === "number") return r;
  if (flags.json) console.log(JSON.stringify(r));
  else if (r.rollout) {
    const { stable, candidate } = r.rollout;
    console.log(
      `${paint("cyan", "rolling out")} ${app}: ${rolloutSummary(stable, candidate, r.rollout.percent)}  ${shareBar(r.rollout.percent)}`,
    );
  } else console.log(`${paint("green", "done")} ${app}: ${shortVersion(r.currentVersion)} serves everything`);
  if (r.changed) driftWarning(app);
  return 0;
}
