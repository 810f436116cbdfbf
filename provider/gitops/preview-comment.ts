/**
 * The pull-request comment of a `pulumi preview --json`: what each app's
 * change asks for (code, quota, outbound, data), with a warning for each
 * risky step, and each app's source diff (collected beforehand by
 * source-diff.ts), under a stable marker so a workflow updates one comment.
 * A pure function of the preview's JSON and those diffs; stays under
 * GitHub's 65,536-character limit by cutting the diffs first, then
 * summarizing.
 */
import { renderSourceDiffs, type DiffSection } from "./diff-markdown.js";
import { readAppState, type AppState } from "../resources/app/state.js";
import type { Outbound, QuotaInput } from "../shared/schema/index.js";
import type { AppSourceDiff } from "./source-diff.js";

/** The marker a workflow finds the comment by. */
export const PREVIEW_COMMENT_MARKER = "<!-- dynamic-workers-preview -->";
/** GitHub's limit on a comment's body. */
export const GITHUB_COMMENT_LIMIT = 65_536;

/** An App's state as `preview --json` shows it (read with readAppState: secrets show as "[secret]"). */
type AppStateJson = Record<string, unknown>;

/** An App step's state, read the one way App state is read (undefined when there is none). */
export const appStateOf = (state: AppStateJson | undefined): AppState | undefined => (state ? readAppState(state) : undefined);

interface Step {
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
  /** Pulumi's op: create, update, replace, delete. */
  op: string;
  code: string;
  quota: string[];
  outbound: string[];
  dataRisk: string;
  warnings: string[];
}

const OPS: Record<string, string> = { create: "add", update: "change", replace: "replace", "create-replacement": "replace", delete: "delete" };
const isApp = (s: Step) => s.urn.split("::")[2]?.endsWith(":App") === true;
const resourceName = (urn: string) => urn.split("::").pop() ?? urn;

function bytes(n: number): string {
  if (n < 1024) return `${n} B`;
  if (n < 1024 * 1024) return `${(n / 1024).toFixed(1)} KB`;
  return `${(n / 1024 / 1024).toFixed(1)} MB`;
}

function codeChange(old: AppState | undefined, neu: AppState | undefined): string {
  const before = old?.code.modules ?? {};
  const after = neu?.code.modules ?? {};
  const names = new Set([...Object.keys(before), ...Object.keys(after)]);
  let changed = 0;
  for (const n of names) if (before[n]?.sha256 !== after[n]?.sha256) changed++;
  const size = (m: AppState["code"]["modules"]) => Object.values(m).reduce((t, x) => t + (x.size ?? 0), 0);
  if (!old) return `${names.size} module${names.size === 1 ? "" : "s"}, ${bytes(size(after))}`;
  if (!neu) return `${bytes(size(before))} removed`;
  if (changed === 0) return "unchanged";
  return `${changed} module${changed === 1 ? "" : "s"} changed, ${bytes(size(before))} → ${bytes(size(after))}`;
}

/** At most five hosts, then a count. */
function hostList(list: string[]): string {
  const shown = list.slice(0, 5).map((h) => `\`${h}\``).join(", ");
  return list.length > 5 ? `${shown} and ${list.length - 5} more` : shown;
}

function hosts(o: Outbound | undefined): string[] {
  return o && typeof o === "object" ? o.allow : [];
}

/** What one App step asks for. */
export function describeAppStep(step: Step): AppChange {
  const op = OPS[step.op] ?? step.op;
  const old = step.op === "create" ? undefined : appStateOf(step.oldState?.inputs ?? step.oldState?.outputs);
  const neu = step.op === "delete" ? undefined : appStateOf(step.newState?.inputs);
  const app = neu?.name || old?.name || resourceName(step.urn);
  const warnings: string[] = [];

  const quota: string[] = [];
  const oq = old?.settings.quota ?? {};
  const nq = neu?.settings.quota ?? {};
  for (const field of [...new Set([...Object.keys(oq), ...Object.keys(nq)])].sort() as (keyof QuotaInput)[]) {
    const a = oq[field];
    const b = nq[field];
    if (a === b || !neu) continue;
    const raised = a !== undefined && b !== undefined && b > a;
    quota.push(`${field} ${a ?? "default"} → ${b ?? "default"}${raised ? " ⬆️" : ""}`);
    if (raised && a > 0 && b > 10 * a) warnings.push(`\`${app}\`: quota \`${field}\` raised more than 10× (${a} → ${b})`);
    if (old && a === undefined && b !== undefined) quota[quota.length - 1] += " (declared)";
  }

  const outbound: string[] = [];
  if (neu) {
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
  }

  const stateful = (old?.code.durableObject ?? neu?.code.durableObject ?? null) !== null;
  const dataOnDelete = (step.op === "delete" ? old?.settings.dataOnDelete : neu?.settings.dataOnDelete) ?? "retain";
  let dataRisk = stateful ? "none" : "no stored data";
  if (stateful && (step.op === "replace" || step.op === "delete")) {
    const why = step.op === "replace" ? `replaced (${(step.replaceReasons ?? []).join(", ") || "replace"})` : "deleted";
    if (dataOnDelete === "delete") {
      dataRisk = "🛑 databases deleted";
      warnings.push(`\`${app}\` is ${why} with \`dataOnDelete: "delete"\`: its objects' databases are deleted`);
    } else {
      dataRisk = `⚠️ ${step.op === "replace" ? `old app '${old?.name || app}' stops serving; data retained` : "stops serving; data retained"}`;
      warnings.push(`\`${app}\` is ${why} and holds stored data: the data is retained, but ${step.op === "replace" ? "the new app starts empty" : "the app stops serving"}`);
    }
  }
  if (neu?.settings.dataOnDelete === "delete" && old?.settings.dataOnDelete !== "delete") {
    warnings.push(`\`${app}\` sets \`dataOnDelete: "delete"\`: deleting it later erases its databases`);
    if (dataRisk === "none" || dataRisk === "no stored data") dataRisk = '⚠️ dataOnDelete "delete"';
  }
  return { urn: step.urn, app, op, code: codeChange(old, neu), quota, outbound, dataRisk, warnings };
}

function cell(lines: string[]): string {
  return lines.length === 0 ? "–" : lines.join("<br>");
}

function fence(text: string, max: number): string {
  // eslint-disable-next-line no-control-regex
  let t = text.replace(/\u001b\[[0-9;]*m/g, "").replace(/```/g, "ʼʼʼ");
  if (t.length > max) t = `${t.slice(0, max)}\n… (${t.length - max} more characters)`;
  return `\`\`\`\n${t.trimEnd()}\n\`\`\``;
}

export interface PreviewCommentOptions {
  /** A title line. @default "Pulumi preview" */
  title?: string;
  /** The body's size limit. @default GITHUB_COMMENT_LIMIT */
  limit?: number;
  /** Source diffs by step URN (collectSourceDiffs). @default none: no "Source changes" section */
  sourceDiffs?: Map<string, AppSourceDiff>;
  /** A line for the whole section, e.g. why old sources could not be fetched. */
  sourceNote?: string;
}

/** The comment's Markdown. */
export function previewComment(preview: PreviewJson, opts: PreviewCommentOptions = {}): string {
  const limit = opts.limit ?? GITHUB_COMMENT_LIMIT;
  const steps = preview.steps ?? [];
  const appSteps = steps.filter(isApp);
  const counts: Record<string, number> = { add: 0, change: 0, replace: 0, delete: 0 };
  let sameApps = 0;
  const changes: AppChange[] = [];
  for (const s of appSteps) {
    if (s.op === "same" || s.op === "read" || s.op === "refresh") sameApps++;
    else if (s.op === "delete-replaced") continue;
    else {
      const c = describeAppStep(s);
      counts[c.op] = (counts[c.op] ?? 0) + 1;
      changes.push(c);
    }
  }
  const others = steps.filter((s) => !isApp(s) && s.op !== "same" && !s.urn.includes("::pulumi:pulumi:Stack::"));
  // The same message can come once per resource that saw it.
  const errors = [...new Set((preview.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => d.message ?? ""))];
  // `preview --json` lists no step for an unchanged resource; the engine's count does (the stack included).
  const unchanged = preview.changeSummary?.same ?? sameApps;

  const head: string[] = [PREVIEW_COMMENT_MARKER, `### ${opts.title ?? "Pulumi preview"}`, ""];
  const summary =
    `**Apps:** ${counts.add} added, ${counts.change} changed, ${counts.replace} replaced, ${counts.delete} deleted; ${unchanged} resource${unchanged === 1 ? "" : "s"} unchanged` +
    (others.length > 0 ? ` · **other resources:** ${others.map((s) => `${s.op} \`${resourceName(s.urn)}\``).join(", ")}` : "");
  head.push(
    errors.length > 0 ? `❌ **The preview failed** (${errors.length} error${errors.length === 1 ? "" : "s"}); the changes below are what it saw before failing. ${summary}` : summary,
    "",
  );

  const errorBlock: string[] = [];
  for (const e of errors.slice(0, 5)) errorBlock.push(fence(e, 3000), "");
  if (errors.length > 5) errorBlock.push(`…and ${errors.length - 5} more errors.`, "");

  const warnings = changes.flatMap((c) => c.warnings);
  const row = (c: AppChange) => `| \`${c.app}\` | ${c.op} | ${c.code} | ${cell(c.quota)} | ${cell(c.outbound)} | ${c.dataRisk} |`;
  const tableHead = ["| app | change | code | quota | outbound | data risk |", "| --- | --- | --- | --- | --- | --- |"];
  // Apps with warnings first, so summarizing drops the quiet rows.
  const ordered = [...changes.filter((c) => c.warnings.length > 0), ...changes.filter((c) => c.warnings.length === 0)];

  const render = (rows: number, warns: number): string => {
    const out = [...head, ...errorBlock];
    if (warnings.length > 0) {
      out.push("> [!WARNING]", ...warnings.slice(0, warns).map((w) => `> - ${w}`));
      if (warns < warnings.length) out.push(`> - …and ${warnings.length - warns} more warnings`);
      out.push("");
    }
    if (changes.length > 0) {
      out.push(...tableHead, ...ordered.slice(0, rows).map(row));
      if (rows < ordered.length) {
        const rest = ordered.slice(rows);
        const by: Record<string, number> = {};
        for (const c of rest) by[c.op] = (by[c.op] ?? 0) + 1;
        out.push("", `…and ${rest.length} more apps (${Object.entries(by).map(([op, n]) => `${n} ${op}`).join(", ")}) not listed, to stay within GitHub's comment limit.`);
      }
      out.push("");
    } else if (errors.length === 0) {
      out.push("No app changes.", "");
    }
    return `${out.join("\n").trimEnd()}\n`;
  };

  let rows = ordered.length;
  let warns = warnings.length;
  let text = render(rows, warns);
  // Summarize: halve the warnings and rows until the body fits.
  while (text.length > limit && (rows > 0 || warns > 0)) {
    if (warns > 20 && warns >= rows) warns = Math.floor(warns / 2);
    else rows = Math.floor(rows / 2);
    text = render(rows, warns);
  }
  if (text.length > limit) return `${text.slice(0, limit - 40)}\n\n…(cut at the comment limit)\n`;
  // The diffs get what the rest leaves: they are the first thing to shrink.
  const sections: DiffSection[] = [];
  for (const c of ordered) {
    const diff = opts.sourceDiffs?.get(c.urn);
    if (diff) sections.push({ app: c.app, diff });
  }
  const diffs = renderSourceDiffs(sections, limit - text.length - 1, opts.sourceNote);
  return diffs ? `${text}\n${diffs}` : text;
}
