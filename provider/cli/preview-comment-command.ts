/**
 * `dynamic-workers preview-comment [file]`: reads `pulumi preview --json`
 * from a file (or stdin: no file, or "-") and writes the pull-request
 * comment's Markdown to stdout (see ../gitops/preview-comment.ts), with each changed
 * app's source diff (see ../source-diff.ts).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { dirname, join, resolve } from "node:path";
import { UsageError } from "./local-command.js";
import type { PreviewJson } from "../gitops/app-changes.js";
import { PREVIEW_COMMENT_MARKER, previewComment } from "../gitops/preview-comment.js";
import { collectSourceDiffs } from "../gitops/source-diff.js";
import { collectQuotaUsage } from "../gitops/quota-usage.js";
import type { PreviewLinks } from "../gitops/preview-links.js";

/** The environment variable the control token is read from (never a flag: flags land in shell history and logs). */
export const CONTROL_TOKEN_ENV = "DYNAMIC_WORKERS_CONTROL_TOKEN";

export const PREVIEW_COMMENT_USAGE = `Usage: dynamic-workers preview-comment [file] [--title <text>] [--cwd <dir>] [--control-url <url>] [--previews <file>]

Reads the output of 'pulumi preview --json' from <file>, or from stdin when
no file (or '-') is given, and writes a Markdown pull-request comment to
stdout: a summary line, a table of the apps' changes (code, quota, outbound,
data risk), a warning for each risky step, and for each app whose code
changes a collapsible diff of its source files. The comment starts with the
marker ${PREVIEW_COMMENT_MARKER}, so a workflow can update one comment, and
stays within GitHub's 65,536 characters (diffs are cut first).

Source diffs: the new files are the ones the app's bundle is made of, read
from the working tree; the old ones are those the host keeps beside the
deployed version, fetched from its control API.

  --cwd <dir>          the folder the Pulumi program runs in, which each
                       app's source folder is relative to (default: the
                       'main' of ./Pulumi.yaml, else the current folder)
  --control-url <url>  the host's control URL (default: the one in each
                       app's state)
  --previews <file>    the JSON of 'dynamic-workers preview deploy --json':
                       the comment links each app's live preview
  ${CONTROL_TOKEN_ENV}  (environment) the control token; without it the
                       comment says the old sources could not be fetched,
                       nor the current usage shown beside a quota cut

  pulumi preview --json > preview.json
  DYNAMIC_WORKERS_CONTROL_TOKEN="$(pulumi stack output controlToken --show-secrets)" \\
    dynamic-workers preview-comment preview.json > comment.md`;

/**
 * The folder a Pulumi program runs in, which its apps' `source.root` is
 * relative to: the `main` of the project's Pulumi.yaml (a folder, or a
 * file's folder), else the project folder.
 */
export function programDir(project: string): string {
  for (const name of ["Pulumi.yaml", "Pulumi.yml"]) {
    const file = join(project, name);
    if (!existsSync(file)) continue;
    const main = /^main:[ \t]*["']?([^"'#\n]+?)["']?[ \t]*(#.*)?$/m.exec(readFileSync(file, "utf8"))?.[1];
    if (!main) return project;
    const abs = resolve(project, main);
    return existsSync(abs) && statSync(abs).isDirectory() ? abs : dirname(abs);
  }
  return project;
}

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

/** The preview's JSON, or, when pulumi wrote none (it failed before the engine ran), an error the comment still shows. */
function parsePreview(text: string): { preview: PreviewJson; wroteJson: boolean } {
  try {
    return { preview: JSON.parse(text) as PreviewJson, wroteJson: true };
  } catch {
    const message = text.trim()
      ? `pulumi preview wrote no JSON:\n${text.slice(0, 3000)}`
      : "pulumi preview wrote nothing";
    return { preview: { diagnostics: [{ severity: "error", message }] }, wroteJson: false };
  }
}

export async function runPreviewComment(argv: string[]): Promise<number> {
  let file: string | undefined;
  const opts: { title?: string; cwd?: string; "control-url"?: string; previews?: string } = {};
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") {
      console.log(PREVIEW_COMMENT_USAGE);
      return 0;
    }
    if (a === "--title" || a === "--cwd" || a === "--control-url" || a === "--previews") {
      const v = argv[++i];
      if (v === undefined) throw new UsageError(`${a} needs a value`);
      opts[a.slice(2) as keyof typeof opts] = v;
    } else if (a === "--control-token" || a.startsWith("--control-token=")) {
      throw new UsageError(
        `give the control token in ${CONTROL_TOKEN_ENV}, not as a flag (flags land in shell history and logs)`,
      );
    } else if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option '${a}'`);
    else if (file !== undefined) throw new UsageError("give at most one file");
    else file = a;
  }
  const text = file === undefined || file === "-" ? await readStdin() : readFileSync(file, "utf8");
  const { preview, wroteJson } = parsePreview(text);
  const token = process.env[CONTROL_TOKEN_ENV] || undefined;
  const sources = wroteJson
    ? await collectSourceDiffs(preview, {
        cwd: opts.cwd !== undefined ? resolve(opts.cwd) : programDir(process.cwd()),
        ...(token !== undefined && { controlToken: token }),
        ...(opts["control-url"] !== undefined && { controlUrl: opts["control-url"] }),
      })
    : undefined;
  const usage = wroteJson
    ? await collectQuotaUsage(preview, {
        ...(token !== undefined && { controlToken: token }),
        ...(opts["control-url"] !== undefined && { controlUrl: opts["control-url"] }),
      })
    : undefined;
  const previews =
    opts.previews !== undefined ? (JSON.parse(readFileSync(opts.previews, "utf8")) as PreviewLinks) : undefined;
  process.stdout.write(
    previewComment(preview, {
      ...(usage && { quotaUsage: usage.usage }),
      ...(usage?.note !== undefined && { usageNote: usage.note }),
      ...(previews && { previews }),
      ...(opts.title !== undefined && { title: opts.title }),
      ...(sources && { sourceDiffs: sources.diffs }),
      ...(sources?.note !== undefined && { sourceNote: sources.note }),
    }),
  );
  return 0;
}
