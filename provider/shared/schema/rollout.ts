/**
 * A gradual rollout: the share of an app's objects and stateless requests a
 * new version (the candidate) serves while the previous one (stable) serves
 * the rest, and when the host stops it. Runs in Node and in workerd.
 */
import { z } from "zod";
import { Sha256 } from "./names.js";

/** Percent steps are hundredths: the host splits into 10,000 buckets. */
export const ROLLOUT_BUCKETS = 10_000;

/** The candidate's share, 0.01 to 100 in steps of 0.01; 100 finishes the rollout. */
export const RolloutPercent = z
  .number()
  .min(0.01, { message: "must be at least 0.01 (percent of objects and requests); 100 finishes the rollout" })
  .max(100, { message: "must be at most 100 (percent); 100 finishes the rollout" })
  .refine((p) => Math.abs(p * 100 - Math.round(p * 100)) < 1e-6, {
    message: "must be a multiple of 0.01 (percent)",
  });

/** Defaults of the error threshold: over 5 % errors among at least 100 of the candidate's requests stops it. */
export const ROLLOUT_DEFAULTS = { maxErrorRate: 0.05, minRequests: 100 } as const;

/** `rollout` on an App or in app.json. */
export const RolloutInput = z.strictObject({
  /** The new version's share of the app's objects and stateless requests, in percent. */
  percent: RolloutPercent,
  /** The candidate's error rate (errors / requests, 0 to 1) above which the host stops the rollout. @default 0.05 */
  maxErrorRate: z.number().min(0).max(1).optional(),
  /** Requests the candidate must have served before its error rate is judged. @default 100 */
  minRequests: z.number().int().min(1).max(1_000_000).optional(),
});
export type RolloutInput = z.input<typeof RolloutInput>;

/** `POST /_control/v1/apps/:app/rollout`. */
export const RolloutRequest = z.strictObject({
  /** The candidate: a stored version. The current version cancels a rollout; percent 100 makes it current. */
  versionHash: Sha256,
  percent: RolloutPercent,
  maxErrorRate: z.number().min(0).max(1).default(ROLLOUT_DEFAULTS.maxErrorRate),
  minRequests: z.number().int().min(1).max(1_000_000).default(ROLLOUT_DEFAULTS.minRequests),
  /** The version the caller believes is stable (current); a mismatch is a 409. Omitted: not checked. */
  expectedStable: Sha256.nullable().optional(),
  /** Start again a rollout of the same candidate that the host stopped. @default false */
  restart: z.boolean().default(false),
});
export type RolloutRequest = z.output<typeof RolloutRequest>;

/** The short form of a version hash that people read (as wrangler shows version ids). */
export const shortVersion = (hash: string | null | undefined) => (hash ? hash.slice(0, 8) : "none");

/** "1a2b3c4d → 5e6f7a8b at 10 %": what previews and the CLI show of a rollout. */
export function rolloutSummary(stable: string | null, candidate: string, percent: number): string {
  return `${shortVersion(stable)} → ${shortVersion(candidate)} at ${percent} %`;
}
