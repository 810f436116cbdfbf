/**
 * The per-isolate view of each app's current version. A warm request makes
 * no Durable Object call; a deploy is seen everywhere within the TTL.
 * Misses for the same app are coalesced into one AppControl call.
 */
import type { ResolvedApp } from "./app-control.js";
import { appControlStub, platformConfig, type Env } from "./env.js";

interface Entry {
  expires: number;
  value: Promise<ResolvedApp | null>;
}

/** Bounds memory when many (or made-up) app names are asked for. */
const MAX_ENTRIES = 10_000;
const cache = new Map<string, Entry>();

export function resolveApp(env: Env, app: string): Promise<ResolvedApp | null> {
  const now = Date.now();
  const hit = cache.get(app);
  if (hit && hit.expires > now) return hit.value;
  const ttlMs = platformConfig(env).cacheTtlSeconds * 1000;
  const value = appControlStub(env, app).resolve();
  const entry: Entry = { expires: now + ttlMs, value };
  // A failed lookup is not cached: the next request asks again.
  value.catch(() => {
    if (cache.get(app) === entry) cache.delete(app);
  });
  cache.delete(app);
  if (cache.size >= MAX_ENTRIES) cache.delete(cache.keys().next().value!);
  cache.set(app, entry);
  return value;
}

/** Forgets an app in this isolate, after the control plane changed it here. */
export function forgetApp(app: string): void {
  cache.delete(app);
}
