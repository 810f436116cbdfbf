/** The host's settings (the PLATFORM_CONFIG binding). Runs in Node and in workerd. */
import { z } from "zod";
import { Quota, QuotaInput, quotaOverCeiling } from "./quota.js";
import { PREVIEW_QUOTA_DEFAULTS, PreviewQuotaConfig } from "./previews.js";

/** The host's settings, passed as the `PLATFORM_CONFIG` json binding. */
export const PlatformConfig = z
  .strictObject({
    /** Apps answer at `<app>.<appsDomain>`; without it only `/apps/<app>/` routes. */
    appsDomain: z
      .string()
      .regex(/^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
        message: "must be a lowercase hostname such as apps.example.com",
      })
      .optional(),
    /** How long an isolate trusts its cached view of an app. @default 2 */
    cacheTtlSeconds: z.number().min(0).max(300).default(2),
    /** Code versions kept per app (the current one is always kept). @default 10 */
    versionsKept: z.number().int().min(1).max(1000).default(10),
    limits: z
      .strictObject({
        /** Apps on this platform. @default 1000 */
        maxApps: z.number().int().min(0).max(1_000_000).default(1000),
        /** No app's quota may exceed these. @default {} (no ceiling) */
        maxQuota: QuotaInput.default({}),
      })
      .default({ maxApps: 1000, maxQuota: {} }),
    defaults: z
      .strictObject({
        /** Quota fields an app leaves out. @default {} (Quota's own defaults) */
        quota: QuotaInput.default({}),
      })
      .default({ quota: {} }),
    /** The preview slots of pull requests (see previews.ts). @default PREVIEW_QUOTA_DEFAULTS */
    previews: PreviewQuotaConfig.default(PREVIEW_QUOTA_DEFAULTS),
  })
  .superRefine((c, ctx) => {
    for (const issue of quotaOverCeiling(Quota.parse(c.defaults.quota), c.limits.maxQuota)) {
      const field = issue.path.split(".")[1]!;
      if (c.defaults.quota[field as keyof Quota] !== undefined) {
        ctx.addIssue({ code: "custom", path: ["defaults", "quota", field], message: issue.message });
      }
    }
  });
export type PlatformConfigInput = z.input<typeof PlatformConfig>;
export type PlatformConfig = z.output<typeof PlatformConfig>;
