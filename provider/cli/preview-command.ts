/**
 * `dynamic-workers preview deploy|delete|list`: a pull request's preview
 * slots (see shared/schema/previews.ts). `deploy` bundles each changed app
 * folder and puts it in its slot `<app>--<id>`, with its own objects; `delete`
 * removes the preview's slots and their data, nothing else; `list` shows
 * every slot and the preview quota.
 */
import { readFileSync } from "node:fs";
import { ControlClient } from "../control-client/client.js";
import { deployToSlot } from "../control-client/preview-deploy.js";
import { PreviewId, formatIssues } from "../shared/schema/index.js";
import type { PreviewJson } from "../gitops/app-changes.js";
import { previewAppOf, previewAppPlan } from "../gitops/preview-apps.js";
import { CONTROL_URL_ENV, stackOutput } from "./control-access.js";
import { UsageError } from "./local-command.js";
import { CONTROL_TOKEN_ENV } from "./preview-comment-command.js";
import { slotUrls, type PreviewDeployReport } from "./preview-report.js";

export const PREVIEW_TOKEN_ENV = "DYNAMIC_WORKERS_PREVIEW_TOKEN";

export const PREVIEW_USAGE = `Usage: dynamic-workers preview <deploy|delete|list> [options]

  preview deploy --id <id> [--dir <apps dir>] [--changes <preview.json>] [--json]
      Bundles each app folder of --dir (default: apps) whose App changes in
      'pulumi preview --json' (--changes; without it, every folder) and puts
      it in its preview slot <app>--<id>: served at <app>--<id>.<appsDomain>
      and <host>/apps/<app>--<id>/, with its own objects and databases (empty,
      then seeded once by the app's 'export async function seed(env)', if any),
      never production's. Counted against the Platform's preview quota; the
      host removes a preview previews.ttlHours after its last deploy.
  preview delete --id <id> [--json]
      Removes every slot of the preview and their data; nothing else.
  preview list [--json]
      Every slot, when it expires, and the preview quota.

  --id <id>            the preview: 1-32 characters of a-z, 0-9 and '-' (e.g. pr-42)
  --control-url <url>  else ${CONTROL_URL_ENV}, else the stack output 'controlUrl'
  --stack <name>       the stack whose outputs are read (default: the selected one)
The token: ${PREVIEW_TOKEN_ENV} (the Platform's previewToken output, which
touches only previews), else ${CONTROL_TOKEN_ENV}, else the stack output
'previewToken', else 'controlToken'.

Exit codes: 0 done; 1 the control API refused (a full preview quota, a bad
app) or could not be reached; 2 bad usage (a bad id, no token).`;

interface PreviewFlags {
  json: boolean;
  id?: string;
  dir: string;
  changes?: string;
  controlUrl?: string;
  stack?: string;
}

const VALUED = {
  "--id": "id",
  "--dir": "dir",
  "--changes": "changes",
  "--control-url": "controlUrl",
  "--stack": "stack",
} as const;

function parsePreviewFlags(argv: string[]): PreviewFlags {
  const flags: PreviewFlags = { json: false, dir: "apps" };
  for (let i = 0; i < argv.length; i++) {
    const a = argv[i]!;
    if (a === "--json") flags.json = true;
    else if (a in VALUED) {
      const v = argv[++i];
      if (v === undefined || v.startsWith("--")) throw new UsageError(`${a} needs a value`);
      flags[VALUED[a as keyof typeof VALUED]] = v;
    } else throw new UsageError(`unknown ${a.startsWith("-") ? "option" : "argument"} '${a}'`);
  }
  return flags;
}

function previewId(flags: PreviewFlags): string {
  if (flags.id === undefined) throw new UsageError("which preview? give --id <id> (e.g. --id pr-42)");
  const r = PreviewId.safeParse(flags.id);
  if (!r.success)
    throw new UsageError(
      `--id '${flags.id}' ${formatIssues(r.error)
        .map((i) => i.message)
        .join("; ")}`,
    );
  return r.data;
}

function previewClient(flags: PreviewFlags): { client: ControlClient; url: string } {
  const url = flags.controlUrl ?? process.env[CONTROL_URL_ENV] ?? stackOutput("controlUrl", flags.stack, false);
  if (!url)
    throw new UsageError(`no control URL: give --control-url or ${CONTROL_URL_ENV}, or run in a stack's folder`);
  const token =
    process.env[PREVIEW_TOKEN_ENV] ||
    process.env[CONTROL_TOKEN_ENV] ||
    stackOutput("previewToken", flags.stack, true) ||
    stackOutput("controlToken", flags.stack, true);
  if (!token) {
    throw new UsageError(
      `no token: set ${PREVIEW_TOKEN_ENV} (the stack's previewToken output) or ${CONTROL_TOKEN_ENV}`,
    );
  }
  return { client: new ControlClient({ url, token }), url };
}

/** Apps bundled and deployed at once: bundling is CPU, the control calls wait on the host. */
const DEPLOY_CONCURRENCY = 4;

/** Runs `fn` over `items`, at most `n` at a time. */
async function eachAtOnce<T>(items: T[], n: number, fn: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const worker = async () => {
    while (next < items.length) await fn(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(n, items.length) }, worker));
}

async function deploy(flags: PreviewFlags): Promise<number> {
  const id = previewId(flags);
  const changes =
    flags.changes === undefined ? undefined : (JSON.parse(readFileSync(flags.changes, "utf8")) as PreviewJson);
  const plan = previewAppPlan(flags.dir, changes);
  const { client, url } = previewClient(flags);
  const report: PreviewDeployReport = { preview: id, slots: [], elsewhere: plan.elsewhere, failed: [] };
  await eachAtOnce(plan.folders, DEPLOY_CONCURRENCY, async (f) => {
    try {
      const { spec, settings } = await previewAppOf(f);
      const d = await deployToSlot(client, id, f.name, spec, settings);
      report.slots.push({
        app: f.name,
        slot: d.slot.slot,
        ...slotUrls(url, d.slot.slot, d.appsDomain),
        versionHash: d.versionHash,
        seeded: d.seed.seeded,
        expiresAt: d.slot.expiresAt,
      });
      if (!flags.json) console.log(`${f.name} → ${report.slots.at(-1)!.url}${d.seed.seeded ? " (seeded)" : ""}`);
    } catch (e) {
      report.failed.push({ app: f.name, message: (e as Error).message });
      console.error(`dynamic-workers preview: ${f.name}: ${(e as Error).message}`);
    }
  });
  report.slots.sort((a, b) => (a.app < b.app ? -1 : 1));
  if (flags.json) console.log(JSON.stringify(report));
  else if (plan.folders.length === 0) console.log(`no changed app folders under '${flags.dir}': nothing to preview`);
  if (!flags.json && plan.elsewhere.length)
    console.log(`not previewed (no folder under '${flags.dir}'): ${plan.elsewhere.join(", ")}`);
  return report.failed.length > 0 ? 1 : 0;
}

async function remove(flags: PreviewFlags): Promise<number> {
  const id = previewId(flags);
  const { client } = previewClient(flags);
  try {
    const d = await client.deletePreview(id);
    console.log(
      flags.json
        ? JSON.stringify(d)
        : `deleted preview '${id}': ${d.slots.join(", ")} (${d.objects} objects with their data)`,
    );
    return 0;
  } catch (e) {
    // Nothing to delete is what the workflow asked for (a pull request that changed no app).
    if ((e as { status?: number }).status === 404) {
      console.log(
        flags.json ? JSON.stringify({ deleted: id, slots: [], objects: 0 }) : `no preview '${id}': nothing to delete`,
      );
      return 0;
    }
    throw e;
  }
}

async function list(flags: PreviewFlags): Promise<number> {
  const { client, url } = previewClient(flags);
  const l = await client.listPreviews();
  if (flags.json) {
    console.log(
      JSON.stringify({ ...l, slots: l.slots.map((s) => ({ ...s, ...slotUrls(url, s.slot, l.appsDomain) })) }),
    );
    return 0;
  }
  const q = l.quota;
  console.log(
    `${l.slots.length}/${q.maxSlots} slots; per slot ≤ ${q.maxObjectsPerSlot} objects, ≤ ${q.maxStorageBytesPerSlot} bytes; previews live ${q.ttlHours} h after their last deploy`,
  );
  for (const s of l.slots)
    console.log(`${s.preview}  ${s.app}  ${slotUrls(url, s.slot, l.appsDomain).url}  expires ${s.expiresAt}`);
  return 0;
}

const SUBCOMMANDS: Record<string, (f: PreviewFlags) => Promise<number>> = { deploy, delete: remove, list };

export async function runPreview(argv: string[]): Promise<number> {
  if (argv.length === 0 || argv.includes("--help") || argv.includes("-h")) {
    console.log(PREVIEW_USAGE);
    return argv.length === 0 ? 2 : 0;
  }
  const [sub, ...rest] = argv;
  const run = SUBCOMMANDS[sub!];
  if (!run) throw new UsageError(`unknown subcommand '${sub}'; use deploy, delete or list`);
  const flags = parsePreviewFlags(rest);
  try {
    return await run(flags);
  } catch (e) {
    if (e instanceof UsageError) throw e;
    console.error(`dynamic-workers preview ${sub}: ${(e as Error).message}`);
    return 1;
  }
}
