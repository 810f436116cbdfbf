/** What one app may use, its defaults, and the platform ceiling. Runs in Node and in workerd. */
import { z } from "zod";
import type { FieldIssue } from "./issues.js";

/** Bounds of each quota field; defaults live in QUOTA_DEFAULTS. */
const quotaField = {
  /** Distinct objects the app may create through `env.OBJECTS`. */
  maxObjects: z.number().int().min(0).max(1_000_000),
  /** Total SQLite bytes of the app's objects. */
  maxStorageBytes: z.number().int().min(0).max(10_000_000_000_000),
  /** Requests per minute across the app. */
  requestsPerMinute: z.number().int().min(1).max(100_000_000),
  /** CPU milliseconds per invocation (enforced on Cloudflare only). */
  cpuMs: z.number().int().min(1).max(300_000),
  /** Subrequests per invocation (enforced on Cloudflare only). */
  subRequests: z.number().int().min(0).max(10_000),
  /** Total bytes of one version's static assets (what a deploy may serve). */
  maxAssetBytes: z.number().int().min(0).max(100_000_000_000),
};

/** What an app gets for a field nobody declared (before the platform ceiling). */
export const QUOTA_DEFAULTS = {
  maxObjects: 100,
  maxStorageBytes: 100_000_000,
  requestsPerMinute: 6000,
  cpuMs: 50,
  subRequests: 50,
  maxAssetBytes: 25_000_000,
} as const;

/** What one app may use, every field filled. */
export const Quota = z.strictObject({
  maxObjects: quotaField.maxObjects.default(QUOTA_DEFAULTS.maxObjects),
  maxStorageBytes: quotaField.maxStorageBytes.default(QUOTA_DEFAULTS.maxStorageBytes),
  requestsPerMinute: quotaField.requestsPerMinute.default(QUOTA_DEFAULTS.requestsPerMinute),
  cpuMs: quotaField.cpuMs.default(QUOTA_DEFAULTS.cpuMs),
  subRequests: quotaField.subRequests.default(QUOTA_DEFAULTS.subRequests),
  maxAssetBytes: quotaField.maxAssetBytes.default(QUOTA_DEFAULTS.maxAssetBytes),
});
export type Quota = z.output<typeof Quota>;

/** A quota as declared: only the fields given, no defaults filled in. */
export const QuotaInput = z.strictObject({
  maxObjects: quotaField.maxObjects.optional(),
  maxStorageBytes: quotaField.maxStorageBytes.optional(),
  requestsPerMinute: quotaField.requestsPerMinute.optional(),
  cpuMs: quotaField.cpuMs.optional(),
  subRequests: quotaField.subRequests.optional(),
  maxAssetBytes: quotaField.maxAssetBytes.optional(),
});
export type QuotaInput = z.infer<typeof QuotaInput>;
export const QUOTA_FIELDS = Object.keys(QUOTA_DEFAULTS) as (keyof Quota)[];

/**
 * The quota in force for an app: each field as the app declares it, else the
 * platform's default, else Quota's default lowered to the platform ceiling.
 * Only declared values can be above the ceiling (see quotaOverCeiling).
 */
export function effectiveQuota(
  own: QuotaInput,
  config: { defaults: { quota: QuotaInput }; limits: { maxQuota: QuotaInput } },
): Quota {
  const quota = Quota.parse({ ...config.defaults.quota, ...own });
  const ceiling = config.limits.maxQuota;
  for (const field of QUOTA_FIELDS) {
    const max = ceiling[field];
    if (own[field] === undefined && config.defaults.quota[field] === undefined && max !== undefined) {
      quota[field] = Math.min(quota[field], max);
    }
  }
  return quota;
}

/** Fields of `quota` above `ceiling`, each named with the asked value and the ceiling. */
export function quotaOverCeiling(quota: Quota, ceiling: QuotaInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const field of QUOTA_FIELDS) {
    const max = ceiling[field];
    if (max !== undefined && quota[field] > max) {
      issues.push({ path: `quota.${field}`, message: `${quota[field]} is above the platform ceiling of ${max}` });
    }
  }
  return issues;
}
