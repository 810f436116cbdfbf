/**
 * The source side of the pull-request comment: for each App step whose code
 * changes, a unified diff of its source files, the new ones read from the
 * working tree (the files its bundle is made of) and the old ones fetched
 * from the control API, where the App provider keeps them beside each
 * version. A failure to read either side becomes a note, never an error:
 * the comment is written all the same.
 */
import { structuredPatch } from "diff";
import { ControlClient } from "../control-client/client.js";
import { appStateOf, type PreviewJson } from "./app-changes.js";
import { appSources } from "../bundle/source-files.js";

/** One file's change: unified-diff lines (hunk headers included, file headers not). */
export interface FileDiff {
  path: string;
  status: "added" | "removed" | "modified";
  lines: string[];
  added: number;
  removed: number;
}

/** One app's source change, or why it cannot be shown. */
export interface AppSourceDiff {
  files: FileDiff[];
  /** Why the diff is missing or partial. */
  note?: string;
}

/** A version's stored source files; null when it keeps none. */
export type OldSourcesFetcher = (
  app: { name: string; controlUrl: string },
  versionHash: string,
) => Promise<Record<string, string> | null>;

export interface SourceDiffOptions {
  /** The Pulumi program's folder, which `source.root` is relative to. @default process.cwd() */
  cwd?: string;
  /** The host's control token; without it (and without `fetchOld`) old sources are not fetched. */
  controlToken?: string;
  /** The control URL, over the one each app's state names. */
  controlUrl?: string;
  /** Fetches old sources instead of the control API (tests). */
  fetchOld?: OldSourcesFetcher;
  /** Apps read at once. @default 8 */
  concurrency?: number;
}

type Step = NonNullable<PreviewJson["steps"]>[number];

const CODE_OPS = new Set(["create", "update", "replace", "create-replacement"]);
const isApp = (s: Step) => s.urn.split("::")[2]?.endsWith(":App") === true;

/**
 * Edits past which a file is shown as replaced whole (all old lines out, all
 * new lines in) instead of searched for a minimal diff, whose cost grows with
 * lines × edits: a rewritten 3,000-line file takes seconds.
 */
export const MAX_EDIT_LENGTH = 1000;

/** The whole file out and in, as one hunk. */
function replacedWhole(
  before: string,
  after: string,
): { hunks: { oldStart: number; oldLines: number; newStart: number; newLines: number; lines: string[] }[] } {
  const split = (t: string) => (t === "" ? [] : t.replace(/\n$/, "").split("\n"));
  const a = split(before);
  const b = split(after);
  return {
    hunks: [
      {
        oldStart: a.length ? 1 : 0,
        oldLines: a.length,
        newStart: b.length ? 1 : 0,
        newLines: b.length,
        lines: [...a.map((l) => `-${l}`), ...b.map((l) => `+${l}`)],
      },
    ],
  };
}

/** The unified diff of one file, with 3 lines of context. */
export function diffFile(path: string, before: string | undefined, after: string | undefined): FileDiff | undefined {
  if (before === after) return undefined;
  const patch =
    structuredPatch(`a/${path}`, `b/${path}`, before ?? "", after ?? "", "", "", {
      context: 3,
      maxEditLength: MAX_EDIT_LENGTH,
    }) ?? replacedWhole(before ?? "", after ?? "");
  const lines: string[] = [];
  let added = 0;
  let removed = 0;
  for (const h of patch.hunks) {
    lines.push(`@@ -${h.oldStart},${h.oldLines} +${h.newStart},${h.newLines} @@`);
    for (const l of h.lines) {
      lines.push(l);
      if (l.startsWith("+")) added++;
      else if (l.startsWith("-")) removed++;
    }
  }
  const status = before === undefined ? "added" : after === undefined ? "removed" : "modified";
  return { path, status, lines, added, removed };
}

/** File diffs between two sets of files, in path order. */
export function diffFiles(before: Record<string, string>, after: Record<string, string>): FileDiff[] {
  const paths = [...new Set([...Object.keys(before), ...Object.keys(after)])].sort();
  return paths.map((p) => diffFile(p, before[p], after[p])).filter((d): d is FileDiff => d !== undefined);
}

function controlFetcher(token: string, override?: string): OldSourcesFetcher {
  const clients = new Map<string, ControlClient>();
  return async (app, versionHash) => {
    const url = override ?? app.controlUrl;
    let c = clients.get(url);
    if (!c) clients.set(url, (c = new ControlClient({ url, token, retries: 2 })));
    return (await c.getSources(app.name, versionHash)).files;
  };
}

async function appDiff(
  step: Step,
  fetchOld: OldSourcesFetcher | undefined,
  cwd: string,
): Promise<AppSourceDiff | undefined> {
  const neu = appStateOf(step.newState?.inputs);
  // Outputs name the deployed version (a refresh updates them); the control URL shows only in inputs (outputs keep `control` secret).
  const deployed = appStateOf(step.oldState?.outputs ?? step.oldState?.inputs);
  const controlUrl = deployed?.control.url ?? appStateOf(step.oldState?.inputs)?.control.url;
  const created = step.op === "create";
  if (!neu || (!created && deployed?.code.versionHash === neu.code.versionHash)) return undefined;
  if (!neu.code.source) return { files: [], note: "inline modules: no source files to show" };
  let after: Record<string, string>;
  try {
    after = (await appSources(neu.code.source, cwd)).files;
  } catch (e) {
    return { files: [], note: `the new source files could not be read: ${(e as Error).message.split("\n")[0]}` };
  }
  if (created) return { files: diffFiles({}, after) };
  if (!deployed?.code.versionHash || !deployed.name || !controlUrl)
    return { files: [], note: "the deployed version is not named in the preview" };
  if (!fetchOld) return { files: [], note: "the deployed sources could not be fetched: no control token" };
  let before: Record<string, string> | null;
  try {
    before = await fetchOld({ name: deployed.name, controlUrl }, deployed.code.versionHash);
  } catch (e) {
    return { files: [], note: `the deployed sources could not be fetched: ${(e as Error).message.split("\n")[0]}` };
  }
  if (before === null)
    return { files: [], note: "the deployed version keeps no source files (deployed before they were kept)" };
  const files = diffFiles(before, after);
  return files.length > 0
    ? { files }
    : { files, note: "no source file changed (the change is in dependencies, settings or env)" };
}

/**
 * The source diffs of every App step that changes code, by step URN, and a
 * note for the whole comment when old sources could not be fetched at all.
 */
export async function collectSourceDiffs(
  preview: PreviewJson,
  opts: SourceDiffOptions = {},
): Promise<{ diffs: Map<string, AppSourceDiff>; note?: string }> {
  const cwd = opts.cwd ?? process.cwd();
  const fetchOld =
    opts.fetchOld ?? (opts.controlToken ? controlFetcher(opts.controlToken, opts.controlUrl) : undefined);
  // A replace can show as both "replace" and "create-replacement" of one URN: diff it once.
  const seen = new Set<string>();
  const steps = (preview.steps ?? []).filter(
    (s) => isApp(s) && CODE_OPS.has(s.op) && !seen.has(s.urn) && seen.add(s.urn),
  );
  const diffs = new Map<string, AppSourceDiff>();
  let next = 0;
  const worker = async () => {
    while (next < steps.length) {
      const s = steps[next++]!;
      const d = await appDiff(s, fetchOld, cwd);
      if (d) diffs.set(s.urn, d);
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, opts.concurrency ?? 8) }, worker));
  const needsOld = steps.some((s) => s.op !== "create");
  const note =
    !fetchOld && needsOld
      ? "Old source files could not be fetched: no control token (set DYNAMIC_WORKERS_CONTROL_TOKEN)."
      : undefined;
  return note ? { diffs, note } : { diffs };
}
