/**
 * The version hash rule, shared by the host and every client so a client can
 * predict the hash of what it uploads without a round trip.
 *
 * 1. Each module's content is hashed as bytes: UTF-8 for js, cjs, text and
 *    json modules; the base64-decoded bytes for data and wasm modules.
 *    `sha256` = lowercase hex of SHA-256 over those bytes.
 * 2. The version is the JSON text (no spaces) of exactly this array:
 *      ["dynamic-workers/version/1", mainModule, compatibilityDate,
 *       compatibilityFlags (unique, sorted), durableObject or null,
 *       [[envName, envValue], …] sorted by name,
 *       [[moduleName, type, sha256], …] sorted by name]
 *    followed, only when the version declares Durable Object bindings, by
 *       [[binding, className], …] sorted by binding.
 *    followed, only when the version has static assets, by the object
 *       {"assets": [binding or null, htmlHandling, notFoundHandling,
 *        runWorkerFirst, [[path, sha256, contentType or null], …] sorted by path]}
 *    Sorting is by UTF-16 code units (JavaScript's default sort).
 *    A version with secrets has instead the tag "dynamic-workers/version/2"
 *    and, after the env, its `secretsDigest`: lowercase hex of
 *    HMAC-SHA256, keyed with the UTF-8 bytes of the platform's secrets key,
 *    over the JSON text of [[secretName, value], …] sorted by name. The key
 *    is known only to the host (its SECRETS_KEY) and to the Pulumi state
 *    (as a secret), so nobody else can test a guess of a secret against a
 *    version hash, however short the secret.
 * 3. `versionHash` = lowercase hex of SHA-256 over that text's UTF-8 bytes.
 *
 * Quota and outbound are settings, not code: they change without a version.
 *
 * This file runs in Node and in workerd: web APIs only.
 */
import { BINARY_MODULE_TYPES, type AppVersionSpec, type ModuleType, type VersionAssets } from "./schema/index.js";

export const VERSION_HASH_TAG = "dynamic-workers/version/1";
/** The tag of a version with secrets (rule 2). */
export const SECRET_VERSION_HASH_TAG = "dynamic-workers/version/2";

const encoder = new TextEncoder();

export async function sha256Hex(data: Uint8Array | string): Promise<string> {
  const bytes = typeof data === "string" ? encoder.encode(data) : data;
  const digest = await crypto.subtle.digest("SHA-256", bytes as Uint8Array<ArrayBuffer>);
  return toHex(new Uint8Array(digest));
}

export function toHex(bytes: Uint8Array): string {
  let out = "";
  for (const b of bytes) out += b.toString(16).padStart(2, "0");
  return out;
}

/** The bytes a module's content stands for (see rule 1). */
export function moduleBytes(type: ModuleType, content: string): Uint8Array {
  if (!BINARY_MODULE_TYPES.includes(type)) return encoder.encode(content);
  const bin = atob(content);
  const out = new Uint8Array(bin.length);
  for (let i = 0; i < bin.length; i++) out[i] = bin.charCodeAt(i);
  return out;
}

/** What the version hash covers, with each module reduced to its digest and the secrets to a keyed digest. */
export interface VersionManifest {
  mainModule: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  durableObject: string | null;
  /** Binding → class; absent when the version declares none (so hashes of versions without any are unchanged). */
  durableObjects?: Record<string, string>;
  /** Plain vars only: a secret's value is never part of a manifest. */
  env: Record<string, string>;
  /** The secrets' names (sorted) and their keyed digest (rule 2); absent when the version has none. */
  secrets?: { names: string[]; digest: string };
  modules: Record<string, { type: ModuleType; sha256: string; size: number }>;
  /** Static assets: options and path → digest, size, content type; absent when the version has none. */
  assets?: VersionAssets;
}

const byKey = <T>(a: [string, T], b: [string, T]) => (a[0] < b[0] ? -1 : a[0] > b[0] ? 1 : 0);

/** The canonical text of rule 2. */
export function canonicalVersionText(m: VersionManifest): string {
  const flags = [...new Set(m.compatibilityFlags)].sort();
  const env = Object.entries(m.env).sort(byKey);
  const modules = Object.entries(m.modules)
    .sort(byKey)
    .map(([name, mod]) => [name, mod.type, mod.sha256]);
  const bindings = Object.entries(m.durableObjects ?? {}).sort(byKey);
  const head = [m.mainModule, m.compatibilityDate, flags, m.durableObject, env];
  const base = m.secrets
    ? [SECRET_VERSION_HASH_TAG, ...head, m.secrets.digest, modules]
    : [VERSION_HASH_TAG, ...head, modules];
  const withBindings = bindings.length ? [...base, bindings] : base;
  return JSON.stringify(m.assets ? [...withBindings, canonicalAssets(m.assets)] : withBindings);
}

/** The assets' part of rule 2: everything that changes what is served, sizes aside (the digest covers them). */
function canonicalAssets(a: VersionAssets): { assets: unknown[] } {
  const files = Object.entries(a.files)
    .sort(byKey)
    .map(([path, f]) => [path, f.sha256, f.contentType]);
  return { assets: [a.binding, a.htmlHandling, a.notFoundHandling, a.runWorkerFirst, files] };
}

/** The secrets' keyed digest of rule 2: HMAC-SHA256 under the platform's secrets key. */
export async function secretsDigest(secretsKey: string, secrets: Record<string, string>): Promise<string> {
  const key = await crypto.subtle.importKey(
    "raw",
    encoder.encode(secretsKey),
    { name: "HMAC", hash: "SHA-256" },
    false,
    ["sign"],
  );
  const text = JSON.stringify(Object.entries(secrets).sort(byKey));
  return toHex(new Uint8Array(await crypto.subtle.sign("HMAC", key, encoder.encode(text))));
}

export async function versionHashOf(m: VersionManifest): Promise<string> {
  return sha256Hex(canonicalVersionText(m));
}

/** A validated version reduced to what its hash covers. */
export interface BuiltVersion {
  manifest: VersionManifest;
  versionHash: string;
  /** The bytes of each module given with content, by sha256 (what the host stores). */
  blobs: Record<string, Uint8Array>;
  /** The secrets' values, which the manifest leaves out (the host stores them beside it, and never answers them). */
  secrets: Record<string, string>;
}

/**
 * The one builder of a version's manifest and hash: the host runs it on what
 * it is sent, clients to predict the hash. A module given only by sha256
 * (content the host already stores) gets size -1; with `requireContent` it
 * is an error instead, for a client that must know every module's bytes.
 * A version with secrets needs `secretsKey`, the platform's key (rule 2).
 */
export async function buildVersion(
  spec: AppVersionSpec,
  options: { requireContent?: boolean; secretsKey?: string } = {},
): Promise<BuiltVersion> {
  const modules: VersionManifest["modules"] = {};
  const blobs: Record<string, Uint8Array> = {};
  for (const [name, m] of Object.entries(spec.modules)) {
    if (m.content === undefined) {
      if (options.requireContent || m.sha256 === undefined) {
        throw new Error(`modules[${JSON.stringify(name)}]: needs content, not only a sha256`);
      }
      modules[name] = { type: m.type, sha256: m.sha256, size: -1 };
      continue;
    }
    const bytes = moduleBytes(m.type, m.content);
    const sha256 = await sha256Hex(bytes);
    blobs[sha256] = bytes;
    modules[name] = { type: m.type, sha256, size: bytes.byteLength };
  }
  const secretNames = Object.keys(spec.secrets).sort();
  if (secretNames.length > 0 && !options.secretsKey) {
    throw new Error("secrets: a version with secrets needs the platform's secrets key to be hashed");
  }
  const manifest: VersionManifest = {
    mainModule: spec.mainModule,
    compatibilityDate: spec.compatibilityDate,
    compatibilityFlags: [...new Set(spec.compatibilityFlags)].sort(),
    durableObject: spec.durableObject,
    ...(Object.keys(spec.durableObjects).length ? { durableObjects: spec.durableObjects } : {}),
    env: spec.env,
    ...(secretNames.length > 0
      ? { secrets: { names: secretNames, digest: await secretsDigest(options.secretsKey!, spec.secrets) } }
      : {}),
    modules,
    ...(spec.assets ? { assets: spec.assets } : {}),
  };
  return { manifest, versionHash: await versionHashOf(manifest), blobs, secrets: spec.secrets };
}

/** The inverse of moduleBytes: UTF-8 text, or base64 for binary kinds. */
export function moduleContent(type: ModuleType, bytes: Uint8Array): string {
  if (!BINARY_MODULE_TYPES.includes(type)) return new TextDecoder().decode(bytes);
  let bin = "";
  const step = 0x8000;
  for (let i = 0; i < bytes.length; i += step) bin += String.fromCharCode(...bytes.subarray(i, i + step));
  return btoa(bin);
}
