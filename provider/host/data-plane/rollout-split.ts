/**
 * Which version serves what while an app is under a gradual rollout, and
 * the per-version counts the host judges the candidate by.
 *
 * - An object: pinned by its name (shared/rollout-bucket.ts), so it runs one
 *   version for the whole rollout and only moves stable → candidate as the
 *   percent rises. AppObject follows the newest view it has seen.
 * - A stateless request: random per request, as Cloudflare splits a gradual
 *   deployment; with a `Cloudflare-Workers-Version-Key` header (version
 *   affinity), by the hash of that key instead, so a client that sends one
 *   keeps its version. Nothing in a request names a version: no header or
 *   path picks one, so neither a client nor the app itself can choose.
 *
 * Counting costs an app without a rollout nothing: it is never called for one.
 */
import { bucketInCandidate, rolloutBucket } from "../../shared/rollout-bucket.js";
import { ROLLOUT_BUCKETS } from "../../shared/schema/index.js";
import type { VersionUsage } from "../../shared/control/responses.js";
import type { ResolvedApp } from "../objects/app-types.js";
import { appControlStub } from "../env.js";

/** Cloudflare's version-affinity header: requests with one key get one version. */
export const VERSION_KEY_HEADER = "cloudflare-workers-version-key";

/** The version that serves object `name` in this view of the app. */
export function objectVersion(view: ResolvedApp, name: string): ResolvedApp {
  const r = view.rollout;
  if (!r) return view;
  return bucketInCandidate(rolloutBucket(view.app, r.id, name), r.percent) ? r.candidate : view;
}

/** The version that serves a stateless request in this view of the app. */
export function requestVersion(view: ResolvedApp, request: Request): ResolvedApp {
  const r = view.rollout;
  if (!r) return view;
  const key = request.headers.get(VERSION_KEY_HEADER);
  const bucket = key !== null ? rolloutBucket(view.app, r.id, key) : Math.floor(Math.random() * ROLLOUT_BUCKETS);
  return bucketInCandidate(bucket, r.percent) ? r.candidate : view;
}

interface Pending {
  counts: Record<string, VersionUsage>;
  requests: number;
  flushedAt: number;
}

/** Counts are sent at most this often per app and isolate, or sooner after this many requests. */
const FLUSH_MS = 1_000;
const FLUSH_REQUESTS = 100;
const pending = new Map<string, Pending>();

/**
 * Counts one request (or object call) served by `served` under the
 * rollout of `view`; sends the counts to AppControl, in the background,
 * when due. AppControl stops the rollout when the candidate fails too often.
 */
export function countServed(
  env: Env,
  ctx: { waitUntil(p: Promise<unknown>): void },
  view: ResolvedApp,
  served: ResolvedApp,
  failed: boolean,
): void {
  const now = Date.now();
  let p = pending.get(view.app);
  if (!p) pending.set(view.app, (p = { counts: {}, requests: 0, flushedAt: now }));
  const c = (p.counts[served.versionHash] ??= { requests: 0, errors: 0 });
  c.requests++;
  if (failed) c.errors++;
  p.requests++;
  if (now - p.flushedAt < FLUSH_MS && p.requests < FLUSH_REQUESTS) return;
  const counts = p.counts;
  pending.set(view.app, { counts: {}, requests: 0, flushedAt: now });
  ctx.waitUntil(
    appControlStub(env, view.app)
      .recordVersionUsage(counts)
      .catch(() => {}),
  );
}

/** The newer of two views of an app, by deploy number (every deploy and rollout step takes a new one). */
export function newerView(a: ResolvedApp | undefined, b: ResolvedApp): ResolvedApp {
  return a && a.deploySeq > b.deploySeq ? a : b;
}
