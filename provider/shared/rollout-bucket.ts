/**
 * Which version of an app under a gradual rollout serves an object or a
 * request. An object's bucket is a fixed function of (app, rollout id,
 * object), so it keeps its version while the rollout lasts, and raising
 * the percent only moves objects from stable to the candidate (bucket <
 * percent is monotone in percent), as Cloudflare pins Durable Objects in
 * gradual deployments. Runs in Node (tests predict it) and in workerd.
 */
import { ROLLOUT_BUCKETS } from "./schema/rollout.js";

/**
 * A 32-bit hash with good spread for similar keys (`room-1`, `room-2`):
 * FNV-1a, then murmur3's finalizer. Not for security: an app may choose its
 * own object names, and so which of its objects land in the candidate.
 */
function hash32(s: string): number {
  let h = 0x811c9dc5;
  for (let i = 0; i < s.length; i++) h = Math.imul(h ^ s.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/** The key's bucket in [0, ROLLOUT_BUCKETS) for this rollout of this app. */
export function rolloutBucket(app: string, rolloutId: string, key: string): number {
  return hash32(`${app}\u0000${rolloutId}\u0000${key}`) % ROLLOUT_BUCKETS;
}

/** Whether a bucket falls in the candidate's share (percent in hundredths). */
export function bucketInCandidate(bucket: number, percent: number): boolean {
  return bucket < Math.round(percent * (ROLLOUT_BUCKETS / 100));
}
