/**
 * What each App step of a `pulumi preview --json` changes, as a person reads
 * it: code, quota, outbound and data risk, with a warning per risky step.
 * App state is read with readAppState, as the provider reads it.
 */
import { readAppState, type AppState } from "../resources/app/state.js";
import type { Outbound, QuotaInput } from "../shared/schema/index.js";
import { assetChanges, assetCounts, type AssetChanges } from "./asset-changes.js";
import { byteSize } from "../shared/byte-size.js";

/** An App's state as `preview --json` shows it (read with readAppState: secrets show as "[secret]"). */
type AppStateJson = Record<string, unknown>;

/** An App step's state, read the one way App state is read (undefined when there is none). */
export const appStateOf = (state: AppStateJson | undefined): AppState | undefined =>
  state ? readAppState(state) : undefined;

export interface Step {
  op: string;
  urn: string;
  oldState?: { type?: string; inputs?: AppStateJson; outputs?: AppStateJson };
  newState?: { type?: string; inputs?: AppStateJson };
  replaceReasons?: string[];
  diffReasons?: string[];
}

export interface PreviewJson {
  steps?: Step[];
  diagnostics?: { message?: string; severity?: string; urn?: string }[];
  changeSummary?: Record<string, number>;
}

/** One app's change, as a row of the table. */
export interface AppChange {
  /** The step's resource. */
  urn: string;
  /** The app's name on the platform (the new one for a rename). */
  app: string;
  /** The old name, when a replace renames the app. */
  renamedFrom?: string;
  /** Pulumi's op: create, update, replace, delete. */
  op: string;
  code: string;
  quota: string[];
  outbound: string[];
  dataRisk: string;
  warnings: string[];
  /** Asset files added, changed and removed; absent when none change. */
  assets?: AssetChanges;
}

const OPS: Record<string, string> = {
  create: "add",
  update: "change",
  replace: "replace",
  "create-replacement": "replace",
  delete: "delete",
};
export const isApp = (s: Step) => s.urn.split("::")[2]?.endsWith(":App") === true;
export const resourceName = (urn: string) => urn.split("::").pop() ?? urn;

function codeChange(old: AppState | undefined, neu: AppState | undefined): string {
  const before = old?.code.modules ?? {};
  const after = neu?.code.modules ?? {};
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  let changed = 0;
  for (const n of names) if (before[n]?.sha256 !== after[n]?.sha256) changed++;
  const size = (m: AppState["code"]["modules"]) => Object.values(m).reduce((t, x) => t + (x.size ?? 0), 0);
  if (!old) return `${names.size} module${names.size === 1 ? "" : "s"}, ${byteSize(size(after))}`;
  if (!neu) return `${byteSize(size(before))} removed`;
  if (changed === 0) return "unchanged";
  return `${changed} module${changed === 1 ? "" : "s"} changed, ${byteSize(size(before))} → ${byteSize(size(after))}`;
}

/** At most five hosts, then a count. */
function hostList(list: string[]): string {
  const shown = list
    .slice(0, 5)
    .map((h) => `\`${h}\``)
    .join(", ");
  return list.length > 5 ? `${shown} and ${list.length - 5} more` : shown;
}

function hosts(o: Outbound | undefined): string[] {
  return o && typeof o === "object" ? o.allow : [];
}

/** Each changed quota field as `field old → new`, with a warning for a raise over 10×. */
function quotaLines(app: string, old: AppState | undefined, neu: AppState | undefined, warnings: string[]): string[] {
  const quota: string[] = [];
  const oq = old?.settings.quota ?? {};
  const nq = neu?.settings.quota ?? {};
  for (const field of [...new Set([...Object.keys(oq), ...Object.keys(nq)])].sort() as (keyof QuotaInput)[]) {
    const a = oq[field];
    const b = nq[field];
    if (a === b || !neu) continue;
    const raised = a !== undefined && b !== undefined && b > a;
    quota.push(`${field} ${a ?? "default"} → ${b ?? "default"}${raised ? " ⬆️" : ""}`);
    if (raised && a > 0 && b > 10 * a)
      warnings.push(`\`${app}\`: quota \`${field}\` raised more than 10× (${a} → ${b})`);
    if (old && a === undefined && b !== undefined) quota[quota.length - 1] += " (declared)";
  }
  return quota;
}

/** The allow-list's change, with a warning when it widens. */
function outboundLines(
  app: string,
  old: AppState | undefined,
  neu: AppState | undefined,
  warnings: string[],
): string[] {
  const outbound: string[] = [];
  if (!neu) return outbound;
  const before = new Set(hosts(old?.settings.outbound));
  const after = hosts(neu.settings.outbound);
  const added = after.filter((h) => !before.has(h));
  const removed = [...before].filter((h) => !after.includes(h));
  if (added.length > 0) {
    outbound.push(`⚠️ added: ${hostList(added)}`);
    warnings.push(`\`${app}\`: outbound allow-list widens: ${hostList(added)}`);
  }
  if (removed.length > 0) outbound.push(`removed: ${hostList(removed)}`);
  if (!old && after.length === 0) outbound.push("none");
  return outbound;
}

/** What one App step asks for. */
export function describeAppStep(step: Step): AppChange {
  const op = OPS[step.op] ?? step.op;
  const old = step.op === "create" ? undefined : appStateOf(step.oldState?.inputs ?? step.oldState?.outputs);
  const neu = step.op === "delete" ? undefined : appStateOf(step.newState?.inputs);
  const app = neu?.name || old?.name || resourceName(step.urn);
  const warnings: string[] = [];
  const quota = quotaLines(app, old, neu, warnings);

  const outbound = outboundLines(app, old, neu, warnings);
  const stateful = (old?.code.durableObject ?? neu?.code.durableObject ?? null) !== null;
  const dataOnDelete = (step.op === "delete" ? old?.settings.dataOnDelete : neu?.settings.dataOnDelete) ?? "retain";
  let dataRisk = stateful ? "none" : "no stored data";
  const renamedFrom = old?.name && neu?.name && old.name !== neu.name ? old.name : undefined;
  if (renamedFrom !== undefined) {
    // What deleting the old app does, as the App provider does it: DELETE /apps/<old>?data=<its dataOnDelete>.
    const r = renameRisk(renamedFrom, app, stateful, old?.settings.dataOnDelete ?? "retain");
    warnings.push(r.warning);
    return {
      urn: step.urn,
      app,
      renamedFrom,
      op,
      code: codeChange(old, neu),
      quota,
      outbound,
      dataRisk: r.dataRisk,
      warnings,
    };
  }
  if (stateful && (step.op === "replace" || step.op === "delete")) {
    const why = step.op === "replace" ? `replaced (${(step.replaceReasons ?? []).join(", ") || "replace"})` : "deleted";
    if (dataOnDelete === "delete") {
      dataRisk = "🛑 databases deleted";
      warnings.push(`\`${app}\` is ${why} with \`dataOnDelete: "delete"\`: its objects' databases are deleted`);
    } else {
      dataRisk = `⚠️ ${step.op === "replace" ? `old app '${old?.name || app}' stops serving; data retained` : "stops serving; data retained"}`;
      warnings.push(
        `\`${app}\` is ${why} and holds stored data: the data is retained, but ${step.op === "replace" ? "the new app starts empty" : "the app stops serving"}`,
      );
    }
  }
  if (neu?.settings.dataOnDelete === "delete" && old?.settings.dataOnDelete !== "delete") {
    warnings.push(`\`${app}\` sets \`dataOnDelete: "delete"\`: deleting it later erases its databases`);
    if (dataRisk === "none" || dataRisk === "no stored data") dataRisk = '⚠️ dataOnDelete "delete"';
  }
  const assets = assetChanges(old, neu);
  const code = assets ? `${codeChange(old, neu)}; ${assetCounts(assets)}` : codeChange(old, neu);
  return { urn: step.urn, app, op, code, quota, outbound, dataRisk, warnings, ...(assets ? { assets } : {}) };
}

/** A rename, said as it happens: the old app is deleted (data as its dataOnDelete says), the new one starts empty. */
function renameRisk(
  from: string,
  to: string,
  stateful: boolean,
  oldData: string,
): { dataRisk: string; warning: string } {
  const head = `\`${from}\` → \`${to}\`: the old URL stops serving`;
  if (!stateful) return { dataRisk: "no stored data", warning: `${head}; it kept no data` };
  if (oldData === "delete") {
    return {
      dataRisk: "🛑 old app's databases deleted",
      warning: `${head} and its databases are deleted (\`dataOnDelete: "delete"\`); \`${to}\` starts empty`,
    };
  }
  return {
    dataRisk: "⚠️ old URL stops serving; data retained",
    warning: `${head}; its data is retained (under the name \`${from}\`: an app created again with that name gets it back) and \`${to}\` starts empty`,
  };
}
