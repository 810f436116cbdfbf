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
  Tags,
  effectiveQuota,
  formatIssues,
  quotaOverCeiling,
  type AppVersionSpecInput,
  type ModuleType,
  type QuotaInput as QuotaInputT,
  type Outbound as OutboundT,
} from "./schema.js";

/**
 * The App resource's inputs as the engine stores and diffs them: small values
 * only, in few top-level properties. Each top-level property costs the Pulumi
 * SDK several promises, each with a captured stack trace, per resource and per
 * run: with 19 flat properties a fleet's preview took twice the engine's own
 * floor (bench:preview), so related fields travel together.
 */
export interface AppState {
  /** The app's name on the platform; a change replaces the app. */
  name: string;
  /** The code, as hashes: what changed shows per module in `preview --diff`. */
  code: AppCode;
  /** What the host enforces, and what deleting does. */
  settings: AppSettingsState;
  /** Secret env values (kept apart so `env` stays readable in diffs). */
  secrets: Record<string, string>;
  /** Where the host's control API is; a new URL replaces the app. */
  control: AppControlAccess;
  /** The control API's bearer token (secret). */
  controlToken: string;
}

export interface AppCode {
  versionHash: string;
  mainModule: string;
  /** Module name to its type, sha256 and size. */
  modules: Record<string, { type: ModuleType; sha256: string; size: number }>;
  /** Where to re-bundle from when the cache lacks a module: relative to the project folder. */
  source: { root: string; entry: string } | null;
  compatibilityDate: string;
  compatibilityFlags: string[];
  durableObject: string | null;
  env: Record<string, string>;
}

export interface AppSettingsState {
  quota: QuotaInputT;
  outbound: OutboundT;
  /** Keep the app's console lines and exceptions. */
  logs: boolean;
  dataOnDelete: "retain" | "delete";
  /** Labels for people and policies; present only when the app has some. State only: the host never gets them. */
  tags?: string[];
}

export interface AppControlAccess {
  url: string;
  /** The platform's ceilings, when known, so check() can refuse before any call. */
  maxQuota: QuotaInputT | null;
}

/** An App's state as version 0.1.0 stored it: every field at the top level. */
interface FlatAppState {
  controlUrl: string;
  controlToken: string;
  name: string;
  versionHash: string;
  mainModule: string;
  modules: AppCode["modules"];
  source: AppCode["source"];
  compatibilityDate: string;
  compatibilityFlags: string[];
  durableObject: string | null;
  env: Record<string, string>;
  secrets: Record<string, string>;
  quota: QuotaInputT;
  outbound: OutboundT;
  logs?: boolean;
  dataOnDelete?: "retain" | "delete";
  maxQuota: QuotaInputT | null;
}

/** True for state written by 0.1.0 (see FlatAppState). */
function isFlat(s: AppState | FlatAppState): s is FlatAppState {
  return !("code" in s) && "versionHash" in s;
}

/**
 * State as this version keeps it. Stacks deployed with 0.1.0 hold flat
 * fields: read the same, so upgrading neither replaces an app (which under
 * the same name would delete what was just created) nor loses a field.
 */
export function currentState(s: AppState | FlatAppState): AppState {
  if (!isFlat(s)) return s;
  const { versionHash, mainModule, modules, source, compatibilityDate, compatibilityFlags, durableObject, env } = s;
  return {
    name: s.name,
    code: { versionHash, mainModule, modules, source, compatibilityDate, compatibilityFlags, durableObject, env },
    settings: { quota: s.quota, outbound: s.outbound, logs: s.logs ?? false, dataOnDelete: s.dataOnDelete ?? "retain" },
    secrets: s.secrets ?? {},
    control: { url: s.controlUrl, maxQuota: s.maxQuota },
    controlToken: s.controlToken,
  };
}

export interface CheckFailure {
  property: string;
  reason: string;
}

/** The folder bundles are cached in: DYNAMIC_WORKERS_CACHE, else .dynamic-workers/cache under the project. */
export function moduleCache(): ModuleCache {
  return new ModuleCache(resolve(process.env.DYNAMIC_WORKERS_CACHE ?? join(process.cwd(), ".dynamic-workers", "cache")));
}

/**
 * Every bad field, one failure per property, as Pulumi shows them. Properties
 * are named as the App's arguments name them (`quota.maxObjects`), not by
 * where state keeps them.
 */
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
  const code = s.code ?? ({} as Partial<AppCode>);
  const settings = s.settings ?? ({} as Partial<AppSettingsState>);
  field("name", AppName, s.name);
  field("compatibilityDate", CompatibilityDate, code.compatibilityDate);
  (code.compatibilityFlags ?? []).forEach((f, i) => field(`compatibilityFlags[${i}]`, CompatibilityFlag, f));
  if (code.durableObject !== null && code.durableObject !== undefined) field("durableObject", ClassName, code.durableObject);
  for (const k of Object.keys(code.env ?? {})) field(`env.${k}`, EnvVarName, k);
  for (const k of Object.keys(s.secrets ?? {})) {
    field(`secrets.${k}`, EnvVarName, k);
    if (k in (code.env ?? {})) failures.push({ property: `secrets.${k}`, reason: `'${k}' is both an env var and a secret; use one` });
  }
  const quota = settings.quota ?? {};
  field("quota", QuotaInput, quota);
  field("outbound", Outbound, settings.outbound ?? "none");
  field("dataOnDelete", DataOnDelete, settings.dataOnDelete ?? "retain");
  if (settings.tags !== undefined) field("tags", Tags, settings.tags);
  const maxQuota = s.control?.maxQuota;
  if (maxQuota && QuotaInput.safeParse(quota).success) {
    const effective = effectiveQuota(quota, { defaults: { quota: {} }, limits: { maxApps: 0, maxQuota } });
    for (const i of quotaOverCeiling(effective, maxQuota)) failures.push({ property: i.path, reason: i.message });
  }
  return failures;
}

const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

/** The settings the host keeps for an app (see AppSettingsInput). */
function hostSettings(s: AppState): { quota: QuotaInputT; outbound: OutboundT; logs: boolean } {
  return { quota: s.settings.quota, outbound: s.settings.outbound, logs: s.settings.logs ?? false };
}

/**
 * What a change does: a new name or another host replaces the app; new code
 * or host settings roll out; anything else (the token, `dataOnDelete`, tags,
 * where the source is) only changes what state records.
 */
export function diffApp(stored: AppState, news: AppState): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const olds = currentState(stored);
  const replaces: string[] = [];
  if (!same(olds.name, news.name)) replaces.push("name");
  if (!same(olds.control?.url, news.control?.url)) replaces.push("control");
  // Flat state from 0.1.0 is rewritten (an update that calls no host when nothing else changed).
  const changes = olds !== stored || replaces.length > 0 || (["code", "settings", "secrets", "control", "controlToken"] as const).some((f) => !same(olds[f], news[f]));
  // A rename may not free the old name's data: create the new app first, then delete the old.
  return { changes, replaces, deleteBeforeReplace: false };
}

/** True when the change needs the host: new code, or new host settings. */
function needsRollout(olds: AppState, news: AppState): boolean {
  return olds.code.versionHash !== news.code.versionHash || !same(hostSettings(olds), hostSettings(news));
}

function client(s: AppState): ControlClient {
  return new ControlClient({ url: s.control.url, token: s.controlToken, retries: 4 });
}

/** The version to upload, with module contents from the cache or a verified re-bundle. */
export async function versionSpec(s: AppState): Promise<AppVersionSpecInput> {
  const cache = moduleCache();
  const code = s.code;
  const modules: AppVersionSpecInput["modules"] = {};
  let rebundled: Record<string, string> | undefined;
  for (const [name, m] of Object.entries(code.modules)) {
    let bytes = cache.get(m.sha256);
    if (!bytes && code.source) {
      if (!rebundled) {
        const b = await bundleApp(join(resolve(code.source.root), code.source.entry));
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
    mainModule: code.mainModule,
    modules,
    compatibilityDate: code.compatibilityDate,
    compatibilityFlags: code.compatibilityFlags,
    durableObject: code.durableObject,
    env: { ...code.env, ...s.secrets },
  };
}

async function uploadAndDeploy(c: ControlClient, s: AppState, expectedCurrent: string | null): Promise<void> {
  const prepared = await prepareVersion(await versionSpec(s));
  if (prepared.versionHash !== s.code.versionHash) {
    throw new Error(`app '${s.name}': the code to upload hashes to ${prepared.versionHash}, not ${s.code.versionHash} as planned; run the update again`);
  }
  await c.putVersion(s.name, prepared);
  await uploadSources(c, s);
  await c.deploy(s.name, s.code.versionHash, expectedCurrent);
}

/**
 * Keeps the source files the version was bundled from beside it on the host
 * (for the pull-request comment's diffs; not part of the version). Only when
 * the source bundles again to exactly this version's module, so the files
 * stored are the ones it was made of.
 */
export async function uploadSources(c: ControlClient, s: AppState): Promise<boolean> {
  if (!s.code.source) return false;
  let found;
  try {
    found = await appSources(s.code.source);
  } catch (e) {
    if (e instanceof BundleError) return false;
    throw e;
  }
  const bundled = Object.entries(found.bundle.modules).map(([n, m]) => [n, createHash("sha256").update(m.content).digest("hex")]);
  const modules = s.code.modules;
  if (bundled.length !== Object.keys(modules).length || bundled.some(([n, sha]) => modules[n!]?.sha256 !== sha)) return false;
  try {
    await c.putSources(s.name, s.code.versionHash, found.files);
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
  if (existing?.currentVersion && existing.currentVersion !== s.code.versionHash) {
    throw new Error(
      `app '${s.name}' already exists on the platform at version ${existing.currentVersion}; ` +
        `delete it first or choose another name (nothing was changed)`,
    );
  }
  await c.putApp(s.name, hostSettings(s));
  await uploadAndDeploy(c, s, existing?.currentVersion ?? null);
  return s;
}

export async function updateApp(stored: AppState, news: AppState): Promise<AppState> {
  const olds = currentState(stored);
  if (!needsRollout(olds, news)) return news;
  const c = client(news);
  const info = await c.getApp(news.name);
  if (!info) return createApp(news);
  const [was, want] = [olds.code.versionHash, news.code.versionHash];
  if (info.currentVersion !== was && info.currentVersion !== want) throw conflict(news.name, info.currentVersion, was);
  if (!same(hostSettings(olds), hostSettings(news)) || !same(info.settings.quota, news.settings.quota)) {
    await c.putApp(news.name, hostSettings(news));
  }
  if (info.currentVersion !== want) {
    try {
      await uploadAndDeploy(c, news, info.currentVersion);
    } catch (e) {
      if (e instanceof ControlApiError && e.status === 409) throw conflict(news.name, (e.body.current as string) ?? null, was);
      throw e;
    }
  }
  return news;
}

/** Refresh: the app as the host has it; a change made outside the stack shows as drift. */
export async function readApp(stored: AppState): Promise<AppState | null> {
  const s = currentState(stored);
  const c = client(s);
  const info = await c.getApp(s.name);
  if (!info) return null;
  const settings = { ...s.settings, quota: info.settings.quota, outbound: info.settings.outbound, logs: info.settings.logs ?? false };
  const read: AppState = { ...s, settings };
  if (info.currentVersion === s.code.versionHash) return read;
  if (!info.currentVersion) return { ...read, code: { ...s.code, versionHash: "", modules: {} } };
  const { version } = await c.getVersion(s.name, info.currentVersion, false);
  const m: VersionManifest = version.manifest;
  const secrets: Record<string, string> = {};
  const env: Record<string, string> = {};
  for (const [k, v] of Object.entries(m.env)) (k in (s.secrets ?? {}) ? secrets : env)[k] = v;
  const code: AppCode = {
    versionHash: info.currentVersion,
    mainModule: m.mainModule,
    modules: m.modules,
    source: s.code.source,
    compatibilityDate: m.compatibilityDate,
    compatibilityFlags: m.compatibilityFlags,
    durableObject: m.durableObject,
    env,
  };
  return { ...read, code, secrets };
}

export async function deleteApp(stored: AppState): Promise<void> {
  const s = currentState(stored);
  try {
    await client(s).deleteApp(s.name, s.settings.dataOnDelete ?? "retain");
  } catch (e) {
    if (e instanceof ControlApiError && e.status === 404) return;
    throw e;
  }
}

export { BundleError };
