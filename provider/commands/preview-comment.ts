/**
 * `dynamic-workers preview-comment [file]`: reads `pulumi preview --json`
 * from a file (or stdin: no file, or "-") and writes the pull-request
 * comment's Markdown to stdout (see ../preview-comment.ts).
 */
import { readFileSync } from "node:fs";
import { UsageError } from "../local/command.js";
import { PREVIEW_COMMENT_MARKER, previewComment, type PreviewJson } from "../preview-comment.js";

export const PREVIEW_COMMENT_USAGE = `Usage: dynamic-workers preview-comment [file] [--title <text>]

Reads the output of 'pulumi preview --json' from <file>, or from stdin when
no file (or '-') is given, and writes a Markdown pull-request comment to
stdout: a summary line, a table of the apps' changes (code, quota, outbound,
data risk) and a warning for each risky step. The comment starts with the
marker ${PREVIEW_COMMENT_MARKER}, so a workflow can update one comment.

  pulumi preview --json > preview.json; dynamic-workers preview-comment preview.json > comment.md`;

async function readStdin(): Promise<string> {
  const chunks: Buffer[] = [];
  for await (const c of process.stdin) chunks.push(c as Buffer);
  return Buffer.concat(chunks).toString("utf8");
}

export async function runPreviewComment(argv: string[]): Promise<number> {
  let file: string | undefined;
  let title: string | undefined;
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--help" || a === "-h") {
      console.log(PREVIEW_COMMENT_USAGE);
      return 0;
    }
    if (a === "--title") {
      title = argv[++i];
      if (title === undefined) throw new UsageError("--title needs a value");
    } else if (a.startsWith("-") && a !== "-") throw new UsageError(`unknown option '${a}'`);
    else if (file !== undefined) throw new UsageError("give at most one file");
    else file = a;
  }
  const text = file === undefined || file === "-" ? await readStdin() : readFileSync(file, "utf8");
  let preview: PreviewJson;
  try {
    preview = JSON.parse(text) as PreviewJson;
  } catch {
    // pulumi wrote no JSON (it failed before the engine ran): the comment still says so.
    preview = { diagnostics: [{ severity: "error", message: text.trim() ? `pulumi preview wrote no JSON:\n${text.slice(0, 3000)}` : "pulumi preview wrote nothing" }] };
  }
  process.stdout.write(previewComment(preview, title === undefined ? {} : { title }));
  return 0;
}
