/**
 * What the App dynamic provider does, as plain async functions over the
 * control API: validate (check), compare (diff), roll out (create/update),
 * detect drift (read) and delete. State holds hashes and settings only; the
 * module contents come from the content-addressed cache (or a re-bundle of
 * the source, verified against the hashes).
 */
import { createHash } from "node:crypto";
import { homedir } from "node:os";
import { join, resolve } from "node:path";
import { BundleError, ModuleCache, bundleApp, moduleBytes } from "../../bundle/bundle-app.js";
import { ControlApiError, ControlClient, prepareVersion } from "../../control-client/client.js";
import { secretsDigest, type VersionManifest } from "../../shared/version-hash.js";
import { readAppState, same, storedState, type AppCode, type AppState, type StoredAppState } from "./state.js";
import { appSources } from "../../bundle/source-files.js";
import { assetReader, uploadAssets } from "../../control-client/asset-upload.js";
import { applyRollout, expectedCurrents, servedByHost } from "./rollout.js";
import { hostSettingValues, type AppSettings, type AppVersionSpecInput } from "../../shared/schema/index.js";

/** The user's bundle cache: pulumi-dynamic-workers under $XDG_CACHE_HOME, else under ~/.cache. */
export function userModuleCacheDir(): string {
  return join(process.env.XDG_CACHE_HOME || join(homedir(), ".cache"), "pulumi-dynamic-workers");
}

/**
 * Where bundles are cached, by content: DYNAMIC_WORKERS_CACHE; else
 * `.dynamic-workers/cache` in `projectFolder` (the provider's is its working
 * folder, where the engine runs it: the Pulumi project's). A program run
 * outside its project folder (an inline Automation API program, whose
 * provider runs in the workspace's folder) passes null and writes to the
 * user's cache, which the provider reads after its own.
 */
export function moduleCache(projectFolder: string | null = process.cwd()): ModuleCache {
  const given = process.env.DYNAMIC_WORKERS_CACHE;
  if (given) return new ModuleCache(resolve(given));
  if (projectFolder === null) return new ModuleCache(userModuleCacheDir());
  return new ModuleCache(join(projectFolder, ".dynamic-workers", "cache"), [userModuleCacheDir()]);
}

/** The settings the host keeps for an app (see AppSettingsInput). */
function hostSettings(s: AppState): AppSettings {
  return hostSettingValues(s.settings);
}

/** True when the change needs the host: new code, new host settings, or a rollout step. */
function needsRollout(olds: AppState, news: AppState): boolean {
  return (
    olds.code.versionHash !== news.code.versionHash ||
    !same(hostSettings(olds), hostSettings(news)) ||
    !same(olds.rollout, news.rollout) ||
    (!!news.rollout && !same(olds.settings.rollout, news.settings.rollout))
  );
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
        for (const [n, mod] of Object.entries(b.modules)) rebundled[cache.put(moduleBytes(mod))] = n;
      }
      bytes = cache.get(m.sha256);
    }
    if (!bytes) {
      throw new Error(
        `module '${name}' (sha256 ${m.sha256}) is neither in the bundle cache (${cache.dir}) nor reproducible from the source; ` +
          `run this from the project folder the preview ran in, or change the app so it is bundled again`,
      );
    }
    modules[name] = {
      type: m.type,
      content: m.type === "data" || m.type === "wasm" ? bytes.toString("base64") : bytes.toString("utf8"),
    };
  }
  return {
    mainModule: code.mainModule,
    modules,
    compatibilityDate: code.compatibilityDate,
    compatibilityFlags: code.compatibilityFlags,
    durableObject: code.durableObject,
    durableObjects: code.durableObjects,
    env: code.env,
    secrets: s.secrets,
    assets: code.assets ?? null,
  };
}

async function uploadAndDeploy(c: ControlClient, s: AppState, expectedCurrent: string | null): Promise<void> {
  await uploadVersion(c, s);
  await c.deploy(s.name, s.code.versionHash, expectedCurrent);
}

/** Stores the version (and its sources) on the host, without deploying it. */
async function uploadVersion(c: ControlClient, s: AppState): Promise<void> {
  const prepared = await prepareVersion(await versionSpec(s), s.secretsKey || undefined);
  if (prepared.versionHash !== s.code.versionHash) {
    throw new Error(
      `app '${s.name}': the code to upload hashes to ${prepared.versionHash}, not ${s.code.versionHash} as planned; run the update again`,
    );
  }
  const assets = s.code.assets;
  const upload = () => (assets ? uploadAssets(c, s.name, assets.files, assetReader(moduleCache(), s.name)) : null);
  await upload();
  try {
    await c.putVersion(s.name, prepared);
  } catch (e) {
    // Contents uploaded but not yet in a stored version can be pruned in between: send what is missing once more.
    if (!(e instanceof ControlApiError && e.issues.some((i) => i.path.startsWith("assets.files")))) throw e;
    await upload();
    await c.putVersion(s.name, prepared);
  }
  await uploadSources(c, s);
}

/**
 * Keeps the source files the version was bundled from beside it on the host
 * (for the pull-request comment's diffs; not part of the version). Only when
 * the source bundles again to exactly this version's module, so the files
 * stored are the ones it was made of.
 */
export async function uploadSources(c: ControlClient, s: AppState): Promise<boolean> {
  if (!s.code.source) return false;
  let found: Awaited<ReturnType<typeof appSources>>;
  try {
    found = await appSources(s.code.source);
  } catch (e) {
    if (e instanceof BundleError) return false;
    throw e;
  }
  const bundled = Object.entries(found.bundle.modules).map(([n, m]) => [
    n,
    createHash("sha256").update(moduleBytes(m)).digest("hex"),
  ]);
  const modules = s.code.modules;
  if (bundled.length !== Object.keys(modules).length || bundled.some(([n, sha]) => modules[n!]?.sha256 !== sha))
    return false;
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

/** Creates the app; returns the state as given (lean, as the engine stores it). */
export async function createApp(given: StoredAppState): Promise<StoredAppState> {
  await rollOutNew(readAppState(given));
  return given;
}

async function rollOutNew(s: AppState): Promise<void> {
  const c = client(s);
  const existing = await c.getApp(s.name);
  if (existing?.currentVersion && existing.currentVersion !== s.code.versionHash) {
    throw new Error(
      `app '${s.name}' already exists on the platform at version ${existing.currentVersion}, not the declared ${s.code.versionHash}; ` +
        "to adopt it, declare it with the code and settings it has (an App created at the version the platform serves adopts it and changes nothing), " +
        "else delete it first or choose another name (nothing was changed)",
    );
  }
  await c.putApp(s.name, hostSettings(s));
  await uploadAndDeploy(c, s, existing?.currentVersion ?? null);
}

export async function updateApp(stored: StoredAppState, given: StoredAppState): Promise<StoredAppState> {
  const [olds, news] = [readAppState(stored), readAppState(given)];
  if (!needsRollout(olds, news)) return given;
  const c = client(news);
  const info = await c.getApp(news.name);
  if (!info) return createApp(given);
  const [was, want] = [olds.code.versionHash, news.code.versionHash];
  if (!expectedCurrents(olds, news).includes(info.currentVersion)) throw conflict(news.name, info.currentVersion, was);
  if (!same(hostSettings(olds), hostSettings(news)) || !same(info.settings.quota, news.settings.quota)) {
    await c.putApp(news.name, hostSettings(news));
  }
  // Under a rollout plan, or ending the host's rollout: see rollout.ts. Otherwise straight to 100 %.
  const rollout = news.rollout || (info.rollout && [info.rollout.candidate, info.currentVersion].includes(want));
  if (rollout || info.currentVersion !== want) {
    try {
      if (rollout) await applyRollout(c, news, info, () => uploadVersion(c, news));
      else await uploadAndDeploy(c, news, info.currentVersion);
    } catch (e) {
      if (e instanceof ControlApiError && e.status === 409)
        throw conflict(news.name, (e.body.current as string) ?? null, was);
      throw e;
    }
  }
  return given;
}

/** Refresh: the app as the host has it; a change made outside the stack shows as drift. */
export async function readApp(stored: StoredAppState): Promise<StoredAppState | null> {
  const s = readAppState(stored);
  const c = client(s);
  const info = await c.getApp(s.name);
  if (!info) return null;
  // The host's settings as the host has them; the others as the stack has them. Under an active rollout
  // the candidate is the app's code, at the host's percent; a stopped or cancelled one shows as the stable code.
  const served = servedByHost(info);
  const rolloutSetting = served.percent !== null ? { rollout: { ...s.settings.rollout, percent: served.percent } } : {};
  const settings = { ...s.settings, ...hostSettingValues(info.settings), ...rolloutSetting };
  const read: AppState = { ...s, settings, rollout: served.rollout };
  if (served.versionHash === s.code.versionHash) return storedState(read);
  if (!served.versionHash) return storedState({ ...read, code: { ...s.code, versionHash: "", modules: {} } });
  const { version } = await c.getVersion(s.name, served.versionHash, false);
  const m: VersionManifest = version.manifest;
  const secrets: Record<string, string> = {};
  const env: Record<string, string> = {};
  // A version stored before secrets keys held its secrets in env.
  for (const [k, v] of Object.entries(m.env)) (k in (s.secrets ?? {}) ? secrets : env)[k] = v;
  if (m.secrets) {
    // The host never answers a secret's value: the stack's values, if they are the ones digested; else drift, values unknown.
    const ours = s.secretsKey !== "" && (await secretsDigest(s.secretsKey, s.secrets)) === m.secrets.digest;
    for (const n of m.secrets.names) secrets[n] = ours ? s.secrets[n]! : "";
  }
  const code: AppCode = {
    versionHash: served.versionHash,
    mainModule: m.mainModule,
    modules: m.modules,
    source: s.code.source,
    compatibilityDate: m.compatibilityDate,
    compatibilityFlags: m.compatibilityFlags,
    durableObject: m.durableObject,
    durableObjects: m.durableObjects ?? {},
    env,
    assets: m.assets ?? null,
  };
  return storedState({ ...read, code, secrets });
}

export async function deleteApp(stored: StoredAppState): Promise<void> {
  const s = readAppState(stored);
  try {
    await client(s).deleteApp(s.name, s.settings.dataOnDelete);
  } catch (e) {
    if (e instanceof ControlApiError && e.status === 404) return;
    throw e;
  }
}
