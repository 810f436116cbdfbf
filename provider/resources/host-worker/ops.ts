/**
 * Uploading, reading and deleting the host Worker through the Cloudflare
 * API with the official `cloudflare` SDK: plain async functions, so the
 * HostWorker dynamic provider is a thin shell and these can be tested alone
 * against the local target.
 */
import Cloudflare from "cloudflare";
import { randomBytes } from "node:crypto";
import {
  HOST_COMPATIBILITY_FLAGS,
  HOST_DURABLE_OBJECTS,
  HOST_SCHEDULES,
  hostBundle,
} from "../../cloudflare/host-script.js";
import { HOST_MIGRATIONS, planHostMigrations, type TaggedMigration } from "../../cloudflare/host-migrations.js";
import type { HostWorkerInputs } from "./inputs.js";
import type { PlatformConfigInput } from "../../shared/schema/index.js";

import { UPLOAD_REQUEST_OPTIONS, buildUploadForm } from "../../cloudflare/upload-form.js";
import type { Migrations, ScriptMetadata, WorkerBinding } from "../../cloudflare/metadata.js";

/** The host's main module name inside the upload. */
export const HOST_MAIN_MODULE = "host.js";

export interface HostWorkerOutputs extends HostWorkerInputs {
  /** Secret: the control API's bearer token. */
  controlToken: string;
  /**
   * Secret: the key of the secrets' digest in apps' version hashes (see
   * shared/version-hash.ts). Made once with the host and kept: a token
   * rotation leaves it, so versions keep their hashes.
   */
  secretsKey: string;
  migrationTag: string | null;
  /** Secret: the token before the last rotation, which the host accepts until `previousControlTokenUntil`. */
  previousControlToken?: string;
  /** When the previous token stops working (ISO 8601). */
  previousControlTokenUntil?: string;
  /** Durable Object namespace id per binding (CATALOG, APP_CONTROL, APP_OBJECTS). */
  namespaceIds: Record<string, string>;
}

/** The API token: CLOUDFLARE_API_TOKEN, else the `cloudflare:apiToken` config, as @pulumi/cloudflare reads it. */
export function apiToken(config: Record<string, string> = {}, local = false): string {
  const token = process.env.CLOUDFLARE_API_TOKEN || config["cloudflare:apiToken"] || "";
  if (token) return token;
  // The local target takes any non-empty token.
  if (local) return "local-target";
  throw new Error(
    "no Cloudflare API token: set CLOUDFLARE_API_TOKEN, or `pulumi config set --secret cloudflare:apiToken <token>`",
  );
}

export function cloudflareClient(apiBaseUrl: string, token: string): Cloudflare {
  return new Cloudflare({ apiToken: token, baseURL: apiBaseUrl, maxRetries: 3, timeout: 120_000 });
}

export function newControlToken(): string {
  return randomBytes(32).toString("hex");
}

export function newSecretsKey(): string {
  return randomBytes(32).toString("hex");
}

/**
 * How long the token before a rotation keeps working: long enough for a CI
 * job that read it to finish (and the next one to read the new token), short
 * enough that a leaked token a rotation was for dies the same day.
 */
export const CONTROL_TOKEN_OVERLAP_MS = 60 * 60 * 1000;

/** The token before a rotation, and until when the host accepts it. */
export interface PreviousControlToken {
  token: string;
  until: string;
}

/** After a rotation: the old token, good for CONTROL_TOKEN_OVERLAP_MS from `now`. */
export function rotationOverlap(oldToken: string, now = Date.now()): PreviousControlToken {
  return { token: oldToken, until: new Date(now + CONTROL_TOKEN_OVERLAP_MS).toISOString() };
}

/** The overlap a host has, while it lasts (a later upload keeps it; one after it ends drops it). */
export function overlapStillOpen(outs: Partial<HostWorkerOutputs>, now = Date.now()): PreviousControlToken | undefined {
  const { previousControlToken: token, previousControlTokenUntil: until } = outs;
  return token && until && Date.parse(until) > now ? { token, until } : undefined;
}

/** The host's bindings: the loader, its three Durable Object namespaces, the token, the secrets key and the settings. */
export function hostBindings(
  controlToken: string,
  secretsKey: string,
  platformConfig: PlatformConfigInput,
  previous?: PreviousControlToken,
): WorkerBinding[] {
  return [
    { type: "worker_loader", name: "LOADER" },
    ...Object.entries(HOST_DURABLE_OBJECTS).map(
      ([name, className]): WorkerBinding => ({ type: "durable_object_namespace", name, class_name: className }),
    ),
    { type: "secret_text", name: "CONTROL_TOKEN", text: controlToken },
    ...(previous
      ? ([
          { type: "secret_text", name: "CONTROL_TOKEN_PREVIOUS", text: previous.token },
          { type: "plain_text", name: "CONTROL_TOKEN_PREVIOUS_UNTIL", text: previous.until },
        ] satisfies WorkerBinding[])
      : []),
    { type: "secret_text", name: "SECRETS_KEY", text: secretsKey },
    { type: "json", name: "PLATFORM_CONFIG", json: platformConfig },
  ];
}

/** The script's current migration tag, or undefined when the script does not exist. */
export async function deployedMigrationTag(
  cf: Cloudflare,
  accountId: string,
  scriptName: string,
): Promise<{ exists: boolean; tag?: string }> {
  for await (const script of cf.workers.scripts.list({ account_id: accountId })) {
    if (script.id === scriptName) return { exists: true, tag: script.migration_tag || undefined };
  }
  return { exists: false };
}

export async function namespaceIds(
  cf: Cloudflare,
  accountId: string,
  scriptName: string,
): Promise<Record<string, string>> {
  const byClass = new Map<string, string>();
  for await (const ns of cf.durableObjects.namespaces.list({ account_id: accountId })) {
    if (ns.script === scriptName && ns.class && ns.id) byClass.set(ns.class, ns.id);
  }
  const out: Record<string, string> = {};
  for (const [binding, className] of Object.entries(HOST_DURABLE_OBJECTS)) {
    const id = byClass.get(className);
    if (id) out[binding] = id;
  }
  return out;
}

/** Uploads the host with the migrations it still needs (of `history`); returns what the resource outputs. */
export async function uploadHost(
  cf: Cloudflare,
  inputs: HostWorkerInputs,
  controlToken: string,
  secretsKey: string,
  history: readonly TaggedMigration[] = HOST_MIGRATIONS,
  previous?: PreviousControlToken,
): Promise<HostWorkerOutputs> {
  const bundle = hostBundle();
  if (bundle.sha256 !== inputs.bundleSha256) {
    throw new Error(
      `the host bundle is ${bundle.sha256}, but the plan expected ${inputs.bundleSha256}: the package changed between preview and update; run the update again`,
    );
  }
  const deployed = await deployedMigrationTag(cf, inputs.accountId, inputs.scriptName);
  const migrations = planHostMigrations(deployed.tag, history);
  const send = (m: Migrations | undefined) =>
    sendHostUpload(cf, inputs, bundle.code, hostBindings(controlToken, secretsKey, inputs.platformConfig, previous), m);
  try {
    await send(migrations);
  } catch (e) {
    if (!migrations || !isMigrationTagMismatch(e)) throw e;
    await recoverFromTagMismatch(cf, inputs, migrations, e);
    // The migration is in place: the same upload without it sets this upload's code and bindings.
    await send(undefined);
  }
  // The one cron trigger whose tick runs the apps' crons; PUT replaces the script's schedules, so a retry is harmless.
  await cf.workers.scripts.schedules.update(inputs.scriptName, {
    account_id: inputs.accountId,
    body: HOST_SCHEDULES.map((s) => ({ ...s })),
  });
  const after = await deployedMigrationTag(cf, inputs.accountId, inputs.scriptName);
  return {
    ...inputs,
    controlToken,
    secretsKey,
    ...(previous ? { previousControlToken: previous.token, previousControlTokenUntil: previous.until } : {}),
    migrationTag: after.tag ?? null,
    namespaceIds: await namespaceIds(cf, inputs.accountId, inputs.scriptName),
  };
}

/** One script upload of the host bundle with these bindings and migrations. */
async function sendHostUpload(
  cf: Cloudflare,
  inputs: HostWorkerInputs,
  code: string,
  bindings: WorkerBinding[],
  migrations: Migrations | undefined,
): Promise<void> {
  const metadata: ScriptMetadata = {
    main_module: HOST_MAIN_MODULE,
    compatibility_date: inputs.compatibilityDate,
    compatibility_flags: HOST_COMPATIBILITY_FLAGS,
    bindings,
    ...(migrations ? { migrations } : {}),
  };
  const form = buildUploadForm(metadata, [{ name: HOST_MAIN_MODULE, kind: "esm", content: code }]);
  await cf.workers.scripts.update(
    inputs.scriptName,
    // The SDK types metadata as an object; it must go as a JSON file (see upload-form.ts).
    { account_id: inputs.accountId, metadata: form.metadata as never, files: form.files },
    UPLOAD_REQUEST_OPTIONS as never,
  );
}

/** Cloudflare's code for an upload whose migrations' old_tag is not the script's current tag. */
export const MIGRATION_TAG_PRECONDITION_FAILED = 10079;

function isMigrationTagMismatch(e: unknown): boolean {
  if (!(e instanceof Cloudflare.APIError)) return false;
  return ((e.errors ?? []) as { code?: number }[]).some((x) => x.code === MIGRATION_TAG_PRECONDITION_FAILED);
}

/**
 * After a 10079 refusal: the client retries an upload whose answer it lost
 * (maxRetries), and the retry carries the same old_tag, which the first
 * attempt already moved on. The script at the planned new tag means the
 * migration landed (tags name steps of this package's history, see
 * host-migrations.ts), so the upload goes on; any other tag means someone
 * else changed the script meanwhile, and that is refused by name.
 */
async function recoverFromTagMismatch(
  cf: Cloudflare,
  inputs: HostWorkerInputs,
  migrations: Migrations,
  refusal: unknown,
): Promise<void> {
  const now = await deployedMigrationTag(cf, inputs.accountId, inputs.scriptName);
  if (now.exists && now.tag === migrations.new_tag) return;
  const tag = (t: string | undefined) => (t ? `'${t}'` : "none");
  throw new Error(
    `the host upload's migration from ${tag(migrations.old_tag)} to ${tag(migrations.new_tag)} was refused ` +
      `(Cloudflare ${MIGRATION_TAG_PRECONDITION_FAILED}, migration tag precondition failed): script '${inputs.scriptName}' ` +
      `is now ${now.exists ? `at migration tag ${tag(now.tag)}` : "gone"}, so something else changed it during this update; ` +
      "run the update again, which plans from the tag deployed then",
    { cause: refusal },
  );
}

/** Deletes the host script; a script that is already gone is success. */
export async function deleteHost(cf: Cloudflare, accountId: string, scriptName: string): Promise<void> {
  try {
    await cf.workers.scripts.delete(scriptName, { account_id: accountId, force: true });
  } catch (e) {
    if (e instanceof Cloudflare.NotFoundError) return;
    throw e;
  }
}

/** Refresh: the deployed tag and namespaces, or null when the script is gone. */
export async function readHost(cf: Cloudflare, outputs: HostWorkerOutputs): Promise<HostWorkerOutputs | null> {
  const deployed = await deployedMigrationTag(cf, outputs.accountId, outputs.scriptName);
  if (!deployed.exists) return null;
  return {
    ...outputs,
    migrationTag: deployed.tag ?? null,
    namespaceIds: await namespaceIds(cf, outputs.accountId, outputs.scriptName),
  };
}
