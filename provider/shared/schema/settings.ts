/** An app's settings: quota, outbound, logs and tags. Runs in Node and in workerd. */
import { z } from "zod";
import { QuotaInput } from "./quota.js";

/** A host pattern of an egress allow-list: `api.example.com` or `*.example.org`. */
export const HostPattern = z
  .string()
  .max(253)
  .transform((s) => s.toLowerCase())
  .pipe(
    z.string().regex(/^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/, {
      message: "must be a hostname like api.example.com, or *.example.com for its subdomains (no scheme, port or path)",
    }),
  );

/** Where an app's code may send requests. @default "none" */
export const Outbound = z.union([
  z.literal("none"),
  z.strictObject({ allow: z.array(HostPattern).min(1).max(100) }),
]);
export type Outbound = z.infer<typeof Outbound>;

/** A tag: 1-32 characters of a-z, 0-9, '-', '_', '.' and ':', starting with a letter or digit. */
export const Tag = z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,31}$/, {
  message: "must be 1-32 characters of a-z, 0-9, '-', '_', '.' and ':', starting with a letter or digit",
});

/** Labels of an app, for people and policies (e.g. `disposable`); not part of the version hash. */
export const Tags = z
  .array(Tag)
  .max(20, { message: "at most 20 tags are allowed" })
  .refine((tags) => new Set(tags).size === tags.length, { message: "must not repeat a tag" });

/** An app's settings, as `PUT /_control/v1/apps/:app` takes them. */
export const AppSettingsInput = z.strictObject({
  quota: QuotaInput.default({}),
  outbound: Outbound.default("none"),
  /**
   * Keep the app's console lines and exceptions (GET /apps/:app/logs). The
   * host's wrapper collects them in the app's isolate, and only for an app
   * that asks. @default false
   */
  logs: z.boolean().default(false),
  /**
   * Labels for people and policies (the policy pack lets `dataOnDelete:
   * "delete"` through only for a tagged app). The App resource keeps them
   * in its state and never sends them to the host. @default none
   */
  tags: Tags.optional(),
});
export type AppSettingsInput = z.input<typeof AppSettingsInput>;
export type AppSettings = z.output<typeof AppSettingsInput>;

/** `DELETE /_control/v1/apps/:app?data=…`. @default "retain" */
export const DataOnDelete = z.enum(["retain", "delete"]);
