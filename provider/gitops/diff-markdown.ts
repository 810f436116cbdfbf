/**
 * The comment's "Source changes" section: per app a collapsible unified diff
 * of its source files, cut to a character budget. Each app gets at least an
 * even share of the budget (what a small diff leaves over goes to larger
 * ones); a cut says how many lines and files were left out.
 */
import type { AppSourceDiff, FileDiff } from "./source-diff.js";

/** Lines shown of one file before the rest is counted instead. */
export const MAX_FILE_LINES = 400;
/** A diff block smaller than this is not worth showing: the app is counted as left out. */
const MIN_BLOCK = 300;
/** The least share of the budget an app's diff gets before apps further down are left out instead. */
const MIN_SHARE = 1500;

export interface DiffSection {
  app: string;
  diff: AppSourceDiff;
}

const esc = (s: string) => s.replace(/&/g, "&amp;").replace(/</g, "&lt;").replace(/>/g, "&gt;");
const plural = (n: number, word: string) => `${n} ${word}${n === 1 ? "" : "s"}`;
/** At most 60 characters of a path or list, so a cut line fits its reserve. */
const short = (s: string) => (s.length > 60 ? `${s.slice(0, 59)}…` : s);

/** A fence longer than any backtick run in the text, so no line can close it. */
function fenceFor(lines: string[]): string {
  let longest = 0;
  for (const l of lines) for (const m of l.matchAll(/`+/g)) longest = Math.max(longest, m[0].length);
  return "`".repeat(Math.max(3, longest + 1));
}

function fileHeader(f: FileDiff): string[] {
  return [
    f.status === "added" ? "--- /dev/null" : `--- a/${f.path}`,
    f.status === "removed" ? "+++ /dev/null" : `+++ b/${f.path}`,
  ];
}

/** One app's block within `max` characters, or undefined when not even its frame fits. */
function block({ app, diff }: DiffSection, max: number): string | undefined {
  if (diff.files.length === 0) {
    const line = `- \`${app}\`: ${diff.note ?? "no source change"}\n`;
    return line.length <= max ? line : undefined;
  }
  const added = diff.files.reduce((n, f) => n + f.added, 0);
  const removed = diff.files.reduce((n, f) => n + f.removed, 0);
  const head = `<details><summary><code>${esc(app)}</code>: ${plural(diff.files.length, "file")} changed (+${added} −${removed})</summary>\n\n`;
  const fence = fenceFor(diff.files.flatMap((f) => f.lines));
  const tail = `${fence}\n${diff.note ? `\n${diff.note}\n` : ""}\n</details>\n`;
  const whole = within(diff.files, Number.MAX_SAFE_INTEGER);
  if (frame(whole).length <= max) return frame(whole);
  // Room kept for the two cut lines ("… N more lines", "… M more files: …").
  const room = max - frame([]).length - 200;
  return room < 0 || max < MIN_BLOCK ? undefined : frame(within(diff.files, room));

  function frame(body: string[]): string {
    return `${head}${fence}diff\n${body.join("\n")}\n${tail}`;
  }
}

/** Diff lines of `files` in at most about `room` characters, with counts of what was cut. */
function within(files: FileDiff[], room: number): string[] {
  const body: string[] = [];
  let shownFiles = 0;
  for (const f of files) {
    const header = fileHeader(f);
    const headerLen = header.reduce((n, l) => n + l.length + 1, 0);
    if (headerLen > room) break;
    body.push(...header);
    room -= headerLen;
    shownFiles++;
    let shown = 0;
    for (const l of f.lines) {
      if (shown >= MAX_FILE_LINES || l.length + 1 > room) break;
      body.push(l);
      room -= l.length + 1;
      shown++;
    }
    if (shown < f.lines.length) {
      const more = `… ${plural(f.lines.length - shown, "more line")} of ${short(f.path)}`;
      body.push(more);
      // Cut at the per-file cap: go on with the next file if there is room; else this line is the reserve's.
      if (shown < MAX_FILE_LINES || more.length + 1 > room) break;
      room -= more.length + 1;
    }
  }
  const rest = files.slice(shownFiles);
  if (rest.length > 0) {
    body.push(
      `… ${plural(rest.length, "more file")}: ${short(
        rest
          .slice(0, 3)
          .map((f) => f.path)
          .join(", "),
      )}${rest.length > 3 ? ", …" : ""}`,
    );
  }
  return body;
}

/** The section's Markdown within `budget` characters ("" when nothing is to be said or nothing fits). */
export function renderSourceDiffs(sections: DiffSection[], budget: number, note?: string): string {
  if (sections.length === 0 && !note) return "";
  const title = "#### Source changes\n\n";
  const noteLine = note ? `${note}\n\n` : "";
  const leftOutLine = (n: number) =>
    `\n…and ${plural(n, "more app")}' source diffs left out, to stay within GitHub's comment limit.\n`;
  // Blocks are joined by newlines: one character each.
  const room = budget - title.length - noteLine.length - leftOutLine(sections.length).length - sections.length;
  if (room < 0) return "";
  const full = sections.map((s) => block(s, Number.MAX_SAFE_INTEGER)!.length);
  // Water-filling over the first k apps: the smallest blocks take what they need, the rest share what is left evenly.
  const fill = (k: number): number[] => {
    let remaining = room;
    const caps = new Array<number>(k).fill(0);
    const bySize = caps.map((_, i) => i).sort((a, b) => full[a]! - full[b]!);
    bySize.forEach((i, j) => {
      caps[i] = Math.min(full[i]!, Math.floor(remaining / (k - j)));
      remaining -= caps[i]!;
    });
    return caps;
  };
  // As many apps, in table order, as can each get a useful share; the rest are counted.
  let caps: number[] = [];
  for (let k = sections.length; k > 0; k--) {
    caps = fill(k);
    if (caps.every((c, i) => c >= Math.min(full[i]!, MIN_SHARE))) break;
  }
  const out: string[] = [];
  let leftOut = sections.length - caps.length;
  caps.forEach((cap, i) => {
    const b = block(sections[i]!, cap);
    if (b === undefined) leftOut++;
    else out.push(b);
  });
  return `${title}${noteLine}${out.join("\n")}${leftOut > 0 ? leftOutLine(leftOut) : ""}`;
}
