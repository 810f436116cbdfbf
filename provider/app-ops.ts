/**
 * What the App dynamic provider does, as plain async functions over the
 * control API: validate (check), compare (diff), roll out (create/update),
 * detect drift (read) and delete. State holds hashes and settings only; the
 * module contents come from the content-addressed cache (or a re-bundle of
 * the source, verified against the hashes).
 */
import { createHash } from "node:crypto";
import { join, resolve } from "node:path";
import { BundleError, ModuleCache, bundleApp } from "./bundle.js";
import { ControlApiError, ControlClient, prepareVersion } from "./control-client.js";
import type { VersionManifest } from "./hash.js";
import { appSources } from "./sources.js";
import {
  AppName,
  ClassName,
  CompatibilityDate,
  CompatibilityFlag,
  DataOnDelete,
  EnvVarName,
  Outbound,
  QuotaInput,
  effectiveQuota,
  formatIssues,
  quotaOverCeiling,
  type AppVersionSpecInput,
  type ModuleType,
  type QuotaInput as QuotaInputT,
  type Outbound as OutboundT,
} from "./schema.js";

/** The App resource's inputs as the engine stores and diffs them: small values only. */
export interface AppState {
  controlUrl: string;
  /** Secret. */
  controlToken: string;
  name: string;
  mainModule: string;
  /** Module name to its type, sha256 and size: what changed shows per module in `preview --diff`. */
  modules: Record<string, { type: ModuleType; sha256: string; size: number }>;
  /** Where to re-bundle from when the cache lacks a module: relative to the project folder. */
  source: { root: string; entry: string } | null;
  versionHash: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  durableObject: string | null;
  env: Record<string, string>;
  /** Secret values. */
  secrets: Record<string, string>;
  quota: QuotaInputT;
  outbound: OutboundT;
  /** Keep the app's console lines and exceptions. */
  logs: boolean;
  dataOnDelete: "retain" | "delete";
  /** The platform's ceilings, when known, so check() can refuse before any call. */
  maxQuota: QuotaInputT | null;
  /** Where the app answers. */
  url: string;
}

export interface CheckFailure {
  property: string;
  reason: string;
}

/** The folder bundles are cached in: DYNAMIC_WORKERS_CACHE, else .dynamic-workers/cache under the project. */
export function moduleCache(): ModuleCache {
  return new ModuleCache(resolve(process.env.DYNAMIC_WORKERS_CACHE ?? join(process.cwd(), ".dynamic-workers", "cache")));
}

/** Every bad field, one failure per property, as Pulumi shows them. */
export function checkApp(s: AppState): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const field = (property: string, schema: { safeParse(v: unknown): { success: boolean; error?: unknown } }, value: unknown) => {
    const r = schema.safeParse(value);
    if (!r.success) {
      for (const i of formatIssues(r.error as never)) {
        failures.push({ property, reason: i.path === "(root)" ? i.message : `${i.path}: ${i.message}` });
      }
    }
  };
  field("name", AppName, s.name);
  field("compatibilityDate", CompatibilityDate, s.compatibilityDate);
  (s.compatibilityFlags ?? []).forEach((f, i) => field(`compatibilityFlags[${i}]`, CompatibilityFlag, f));
  if (s.durableObject !== null && s.durableObject !== undefined) field("durableObject", ClassName, s.durableObject);
  for (const k of Object.keys(s.env ?? {})) field(`env.${k}`, EnvVarName, k);
  for (const k of Object.keys(s.secrets ?? {})) {
    field(`secrets.${k}`, EnvVarName, k);
    if (k in (s.env ?? {})) failures.push({ property: `secrets.${k}`, reason: `'${k}' is both an env var and a secret; use one` });
  }
  field("quota", QuotaInput, s.quota ?? {});
  field("outbound", Outbound, s.outbound ?? "none");
  field("dataOnDelete", DataOnDelete, s.dataOnDelete ?? "retain");
  if (s.maxQuota && QuotaInput.safeParse(s.quota ?? {}).success) {
    const quota = effectiveQuota(s.quota ?? {}, { defaults: { quota: {} }, limits: { maxApps: 0, maxQuota: s.maxQuota } });
    for (const i of quotaOverCeiling(quota, s.maxQuota)) failures.push({ property: i.path, reason: i.message });
  }
  return failures;
}

/** Fields whose change replaces the app rather than updating it. */
export const APP_REPLACE_FIELDS = ["name", "controlUrl"] as const;

/** Fields whose change rolls out through the control API. */
const ROLLOUT_FIELDS = ["versionHash", "quota", "outbound", "logs"] as const;
/** Fields that only change what state records. */
const STATE_FIELDS = ["dataOnDelete", "controlToken", "url", "maxQuota", "source"] as const;

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

export function diffApp(olds: AppState, news: AppState): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const replaces = APP_REPLACE_FIELDS.filter((f) => !same(olds[f], news[f]));
  const changed = [...ROLLOUT_FIELDS, ...STATE_FIELDS].filter((f) => !same(olds[f], news[f]));
  // A rename may not free the old name's data: create the new app first, then delete the old.
  return { changes: replaces.length > 0 || changed.length > 0, replaces, deleteBeforeReplace: false };
}

/** The settings the host keeps for an app (see AppSettingsInput). */
function settingsOf(s: AppState): { quota: QuotaInputT; outbound: OutboundT; logs: boolean } {
  return { quota: s.quota, outbound: s.outbound, logs: s.logs ?? false };
}

function client(s: Pick<AppState, "controlUrl" | "controlToken">): ControlClient {
  return new ControlClient({ url: s.controlUrl, token: s.controlToken, retries: 4 });
}

/** The version to upload, with module contents from the cache or a verified re-bundle. */
export async function versionSpec(s: AppState): Promise<AppVersionSpecInput> {
  const cache = moduleCache();
  const modules: AppVersionSpecInput["modules"] = {};
  let rebundled: Record<string, string> | undefined;
  for (const [name, m] of Object.entries(s.modules)) {
    let bytes = cache.get(m.sha256);
    if (!bytes && s.source) {
      if (!rebundled) {
        const b = await bundleApp(join(resolve(s.source.root), s.source.entry));
        rebundled = {};
        for (const [n, mod] of Object.entries(b.modules)) rebundled[cache.put(mod.content)] = n;
      }
      bytes = cache.get(m.sha256);
    }
    if (!bytes) {
      throw new Error(
        `module '${name}' (sha256 ${m.sha256}) is neither in the bundle cache (${cache.dir}) nor reproducible from the source; ` +
          `run this from the project folder the preview ran in, or change the app so it is bundled again`,
      );
    }
    modules[name] = { type: m.type, content: m.type === "data" || m.type === "wasm" ? bytes.toString("base64") : bytes.toString("utf8") };
  }
  return {
    mainModule: s.mainModule,
    modules,
    compatibilityDate: s.compatibilityDate,
    compatibilityFlags: s.compatibilityFlags,
    durableObject: s.durableObject,
    env: { ...s.env, ...s.secrets },
  };
}

async function uploadAndDeploy(c: ControlClient, s: AppState, expectedCurrent: string | null): Promise<void> {
  const prepared = await prepareVersion(await versionSpec(s));
  if (prepared.versionHash !== s.versionHash) {
    throw new Error(`app '${s.name}': the code to upload hashes to ${prepared.versionHash}, not ${s.versionHash} as planned; run the update again`);
  }
  await c.putVersion(s.name, prepared);
  await uploadSources(c, s);
  await c.deploy(s.name, s.versionHash, expectedCurrent);
}

/**
 * Keeps the source files the version was bundled from beside it on the host
 * (for the pull-request comment's diffs; not part of the version). Only when
 * the source bundles again to exactly this version's module, so the files
 * stored are the ones it was made of.
 */
export async function uploadSources(c: ControlClient, s: AppState): Promise<boolean> {
  if (!s.source) return false;
  let found;
  try {
    found = await appSources(s.source);
  } catch (e) {
    if (e instanceof BundleError) return false;
    throw e;
  }
  const bundled = Object.entries(found.bundle.modules).map(([n, m]) => [n, createHash("sha256").update(m.content).digest("hex")]);
  if (bundled.length !== Object.keys(s.modules).length || bundled.some(([n, sha]) => s.modules[n!]?.sha256 !== sha)) return false;
  try {
    await c.putSources(s.name, s.versionHash, found.files);
  } catch (e) {
    // A host from before this route (given by controlUrl) keeps no sources; the app still deploys.
    if (e instanceof ControlApiError && e.status === 404 && /no control route/.test(e.message)) return false;
    throw e;
  }
  return true;
}

function conflict(name: string, actual: string | null, expected: string | null): Error {
  return new Error(
    `app '${name}' changed outside this stack: its current version is ${actual ?? "none"}, ` +
      `but this stack last deployed ${expected ?? "none"}. Run \`pulumi refresh\` to see the change, then \`pulumi up\` again.`,
  );
}

export async function createApp(s: AppState): Promise<AppState> {
  const c = client(s);
  const existing = await c.getApp(s.name);
  if (existing?.currentVersion && existing.currentVersion !== s.versionHash) {
    throw new Error(
      `app '${s.name}' already exists on the platform at version ${existing.currentVersion}; ` +
        `delete it first or choose another name (nothing was changed)`,
    );
  }
  await c.putApp(s.name, settingsOf(s));
  await uploadAndDeploy(c, s, existing?.currentVersion ?? null);
  return s;
}

export async function updateApp(olds: AppState, news: AppState): Promise<AppState> {
  const rollout = ROLLOUT_FIELDS.some((f) => !same(olds[f], news[f]));
  if (!rollout) return news;
  const c = client(news);
  const info = await c.getApp(news.name);
  if (!info) return createApp(news);
  if (info.currentVersion !== olds.versionHash && info.currentVersion !== news.versionHash) {
    throw conflict(news.name, info.currentVersion, olds.versionHash);
  }
  if (!same(settingsOf(olds), settingsOf(news)) || !same(info.settings.quota, news.quota)) {
    await c.putApp(news.name, settingsOf(news));
  }
  if (info.currentVersion !== news.versionHash) {
    try {
      await uploadAndDeploy(c, news, info.currentVersion);
    } catch (e) {
      if (e instanceof ControlApiError && e.status === 409) throw conflict(news.name, (e.body.current as string) ?? null, olds.versionHash);
      throw e;
    }
  }
  return news;
}

/** Refresh: the app as the host has it; a change made outside the stack shows as drift. */
export async function readApp(s: AppState): Promise<AppState | null> {
  const c = client(s);
  const info = await c.getApp(s.name);
  if (!info) return null;
  const read: AppState = { ...s, quota: info.settings.quota, outbound: info.settings.outbound, logs: info.settings.logs ?? false };
  if (info.currentVersion !== s.versionHash) {
    if (!info.currentVersion) return { ...read, versionHash: "", modules: {} };
    const { version } = await c.getVersion(s.name, info.currentVersion, false);
    const m: VersionManifest = version.manifest;
    const secrets: Record<string, string> = {};
    const env: Record<string, string> = {};
    for (const [k, v] of Object.entries(m.env)) (k in (s.secrets ?? {}) ? secrets : env)[k] = v;
    Object.assign(read, {
      versionHash: info.currentVersion,
      mainModule: m.mainModule,
      modules: m.modules,
      compatibilityDate: m.compatibilityDate,
      compatibilityFlags: m.compatibilityFlags,
      durableObject: m.durableObject,
      env,
      secrets,
    });
  }
  return read;
}

export async function deleteApp(s: AppState): Promise<void> {
  try {
    await client(s).deleteApp(s.name, s.dataOnDelete ?? "retain");
  } catch (e) {
    if (e instanceof ControlApiError && e.status === 404) return;
    throw e;
  }
}

export { BundleError };
