/**
 * The per-isolate view of each app's current version. A warm request makes
 * no Durable Object call; a deploy is seen everywhere within the TTL; a name
 * that is no app costs one Catalog read per TTL and never wakes an AppControl.
 * Only values are shared between requests, never promises: Workers may not
 * await another request's I/O. While one request refreshes an expired entry,
 * others keep using the value it replaces.
 */
import type { ResolvedApp } from "../objects/app-types.js";
import { appControlStub, catalogStub, platformConfig } from "../env.js";

interface Entry {
  expires: number;
  value: ResolvedApp | null;
  /** When a request started refreshing it; 0: none. */
  refreshingSince: number;
}

/** A refresh older than this belongs to a request that died: another may start. */
const REFRESH_STALE_MS = 5_000;

/** Bounds memory when many (or made-up) app names are asked for. */
const MAX_ENTRIES = 10_000;
const cache = new Map<string, Entry>();

/**
 * The cached view of an app, without waiting: the warm path. undefined: not
 * cached or expired, so resolveApp() must look it up (and may refresh it).
 * Only names that passed AppName are ever cached.
 */
export function cachedApp(app: string): ResolvedApp | null | undefined {
  const hit = cache.get(app);
  if (!hit) return undefined;
  const now = Date.now();
  return hit.expires > now || now - hit.refreshingSince < REFRESH_STALE_MS ? hit.value : undefined;
}

export async function resolveApp(env: Env, app: string): Promise<ResolvedApp | null> {
  const now = Date.now();
  const hit = cache.get(app);
  if (hit && (hit.expires > now || now - hit.refreshingSince < REFRESH_STALE_MS)) return hit.value;
  if (hit) hit.refreshingSince = now;
  try {
    // An AppControl is asked only for a name the Catalog knows (or that this isolate saw as an app):
    // a request for a made-up name creates no Durable Object, and so no storage.
    const known = hit?.value !== null && hit?.value !== undefined;
    const value = known || (await catalogStub(env).has(app)) ? await appControlStub(env, app).resolve() : null;
    const ttlMs = platformConfig(env).cacheTtlSeconds * 1000;
    cache.delete(app);
    if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
    cache.set(app, { expires: Date.now() + ttlMs, value, refreshingSince: 0 });
    return value;
  } catch (e) {
    // A failed lookup is not cached: the next request asks again.
    if (hit) hit.refreshingSince = 0;
    throw e;
  }
}

/** Forgets an app in this isolate, after the control plane changed it here. */
export function forgetApp(app: string): void {
  cache.delete(app);
}
