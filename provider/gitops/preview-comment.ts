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
import { describeAppStep, isApp, resourceName, type AppChange, type PreviewJson, type Step } from "./app-changes.js";
import type { AppSourceDiff } from "./source-diff.js";
import { renderAssetChanges } from "./asset-changes.js";
import type { AppUsage } from "../shared/control/responses.js";
import { withUsage } from "./quota-usage.js";
import { previewLinks, type PreviewLinks } from "./preview-links.js";

/** The marker a workflow finds the comment by. */
export const PREVIEW_COMMENT_MARKER = "<!-- dynamic-workers-preview -->";
/** GitHub's limit on a comment's body. */
export const GITHUB_COMMENT_LIMIT = 65_536;

function cell(lines: string[]): string {
  return lines.length === 0 ? "–" : lines.join("<br>");
}

function fence(text: string, max: number): string {
  // biome-ignore lint/suspicious/noControlCharactersInRegex: strips the ANSI colour codes of the CLI's messages.
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
  /** Current usage by step URN, shown beside quota cuts (collectQuotaUsage). */
  quotaUsage?: Map<string, AppUsage>;
  /** Why usage is missing, shown under the table. */
  usageNote?: string;
  /** The live previews (`dynamic-workers preview deploy --json`), linked under the table. */
  previews?: PreviewLinks;
}

/** What the comment says before any diff: the app changes, counts, other resources and errors. */
interface Summary {
  changes: AppChange[];
  counts: Record<string, number>;
  others: Step[];
  errors: string[];
  unchanged: number;
}

function summarize(preview: PreviewJson, usage?: Map<string, AppUsage>): Summary {
  const steps = preview.steps ?? [];
  const counts: Record<string, number> = { add: 0, change: 0, replace: 0, delete: 0 };
  let sameApps = 0;
  const changes: AppChange[] = [];
  for (const s of steps.filter(isApp)) {
    if (s.op === "same" || s.op === "read" || s.op === "refresh") sameApps++;
    else if (s.op !== "delete-replaced") {
      const c = withUsage(describeAppStep(s), usage?.get(s.urn));
      counts[c.op] = (counts[c.op] ?? 0) + 1;
      changes.push(c);
    }
  }
  const others = steps.filter((s) => !isApp(s) && s.op !== "same" && !s.urn.includes("::pulumi:pulumi:Stack::"));
  // The same message can come once per resource that saw it.
  const errors = [
    ...new Set((preview.diagnostics ?? []).filter((d) => d.severity === "error").map((d) => d.message ?? "")),
  ];
  // `preview --json` lists no step for an unchanged resource; the engine's count does (the stack included).
  return { changes, counts, others, errors, unchanged: preview.changeSummary?.same ?? sameApps };
}

/** The marker, title, summary line and error blocks. */
function headLines(sum: Summary, title: string): string[] {
  const { counts, others, errors, unchanged } = sum;
  const summary =
    `**Apps:** ${counts.add} added, ${counts.change} changed, ${counts.replace} replaced, ${counts.delete} deleted; ${unchanged} resource${unchanged === 1 ? "" : "s"} unchanged` +
    (others.length > 0
      ? ` · **other resources:** ${others.map((s) => `${s.op} \`${resourceName(s.urn)}\``).join(", ")}`
      : "");
  const out = [PREVIEW_COMMENT_MARKER, `### ${title}`, ""];
  out.push(
    errors.length > 0
      ? `❌ **The preview failed** (${errors.length} error${errors.length === 1 ? "" : "s"}); the changes below are what it saw before failing. ${summary}`
      : summary,
    "",
  );
  for (const e of errors.slice(0, 5)) out.push(fence(e, 3000), "");
  if (errors.length > 5) out.push(`…and ${errors.length - 5} more errors.`, "");
  return out;
}

const TABLE_HEAD = ["| app | change | code | quota | outbound | data risk |", "| --- | --- | --- | --- | --- | --- |"];
const row = (c: AppChange) =>
  `| ${c.renamedFrom !== undefined ? `\`${c.renamedFrom}\` → ` : ""}\`${c.app}\` | ${c.op} | ${c.code} | ${cell(c.quota)} | ${cell(c.outbound)} | ${c.dataRisk} |`;

/** The comment without diffs, showing the first `rows` apps and `warns` warnings (apps with warnings first). */
function renderBody(head: string[], sum: Summary, ordered: AppChange[], rows: number, warns: number): string {
  const warnings = ordered.flatMap((c) => c.warnings);
  const out = [...head];
  if (warnings.length > 0) {
    out.push("> [!WARNING]", ...warnings.slice(0, warns).map((w) => `> - ${w}`));
    if (warns < warnings.length) out.push(`> - …and ${warnings.length - warns} more warnings`);
    out.push("");
  }
  if (ordered.length > 0) {
    out.push(...TABLE_HEAD, ...ordered.slice(0, rows).map(row));
    if (rows < ordered.length) {
      const rest = ordered.slice(rows);
      const by: Record<string, number> = {};
      for (const c of rest) by[c.op] = (by[c.op] ?? 0) + 1;
      out.push(
        "",
        `…and ${rest.length} more apps (${Object.entries(by)
          .map(([op, n]) => `${n} ${op}`)
          .join(", ")}) not listed, to stay within GitHub's comment limit.`,
      );
    }
    out.push("");
  } else if (sum.errors.length === 0) {
    out.push("No app changes.", "");
  }
  return `${out.join("\n").trimEnd()}\n`;
}

/** The comment's Markdown. */
export function previewComment(preview: PreviewJson, opts: PreviewCommentOptions = {}): string {
  const limit = opts.limit ?? GITHUB_COMMENT_LIMIT;
  const sum = summarize(preview, opts.quotaUsage);
  const head = headLines(sum, opts.title ?? "Pulumi preview");
  const links = previewLinks(opts.previews);
  if (links.length > 0) head.push(...links, "");
  if (opts.usageNote) head.push(`_${opts.usageNote}_`, "");
  // Apps with warnings first, so summarizing drops the quiet rows.
  const ordered = [
    ...sum.changes.filter((c) => c.warnings.length > 0),
    ...sum.changes.filter((c) => c.warnings.length === 0),
  ];
  let rows = ordered.length;
  let warns = ordered.flatMap((c) => c.warnings).length;
  let text = renderBody(head, sum, ordered, rows, warns);
  // Summarize: halve the warnings and rows until the body fits.
  while (text.length > limit && (rows > 0 || warns > 0)) {
    if (warns > 20 && warns >= rows) warns = Math.floor(warns / 2);
    else rows = Math.floor(rows / 2);
    text = renderBody(head, sum, ordered, rows, warns);
  }
  if (text.length > limit) return `${text.slice(0, limit - 40)}\n\n…(cut at the comment limit)\n`;
  const assets = renderAssetChanges(ordered.slice(0, rows));
  if (assets && text.length + assets.length + 1 < limit) text = `${text}\n${assets}`;
  // The diffs get what the rest leaves: they are the first thing to shrink.
  const sections: DiffSection[] = [];
  for (const c of ordered) {
    const diff = opts.sourceDiffs?.get(c.urn);
    if (diff) sections.push({ app: c.app, diff });
  }
  const diffs = renderSourceDiffs(sections, limit - text.length - 1, opts.sourceNote);
  return diffs ? `${text}\n${diffs}` : text;
}
