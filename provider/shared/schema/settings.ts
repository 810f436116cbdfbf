/** An app's settings (quota, outbound, logs, dataOnDelete, tags), listed once in APP_SETTINGS. Runs in Node and in workerd. */
import { z } from "zod";
import { QuotaInput } from "./quota.js";
import { RolloutInput } from "./rollout.js";
import { Crons } from "./crons.js";

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
export const Outbound = z.union([z.literal("none"), z.strictObject({ allow: z.array(HostPattern).min(1).max(100) })], {
  // There is no "all": each host an app may reach is named, so a review sees every one.
  error: () =>
    `must be "none" (no network) or { allow: ["api.example.com", "*.example.org"] } (the hosts the app may reach, at most 100); there is no "all"`,
});
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

/** `DELETE /_control/v1/apps/:app?data=…`. @default "retain" */
export const DataOnDelete = z.enum(["retain", "delete"]);

/**
 * Every setting of an app, once: its schema, its default, and whether the
 * host keeps it. The App resource (its args, state, check and refresh),
 * app.json, the policy pack and the control API all read this list, so a new
 * setting is an entry here plus the code that gives it effect. The doc
 * comments are what the App's args show; `describe` is what app.json's JSON
 * Schema shows.
 */
export const APP_SETTINGS = {
  /** What the app may use; unset fields take the platform's defaults. @default {} */
  quota: {
    schema: QuotaInput,
    default: {},
    host: true,
    describe: "What the app may use; fields left out take the platform's defaults.",
  },
  /** Hosts the app may call. @default "none" */
  outbound: {
    schema: Outbound,
    default: "none",
    host: true,
    describe: 'Where the app may send requests: "none" (default) or { "allow": ["api.example.com", "*.example.org"] }.',
  },
  /**
   * Keep the app's console lines and exceptions (GET /apps/:app/logs). The
   * host's wrapper collects them in the app's isolate, and only for an app
   * that asks. @default false
   */
  logs: {
    schema: z.boolean(),
    default: false,
    host: true,
    describe: "Keep the app's console lines and exceptions (GET /apps/:app/logs). Default: false.",
  },
  /**
   * Cron triggers, as Wrangler's `triggers.crons`: the host calls the app's
   * `scheduled(controller, env, ctx)` at each (UTC, Cloudflare's syntax), and
   * each run counts against requestsPerMinute. @default []
   */
  crons: {
    schema: Crons,
    default: [],
    host: true,
    describe:
      "Cron triggers in Cloudflare's syntax (UTC), e.g. [\"*/30 * * * *\"]: the host runs the app's scheduled() handler at each. Default: [].",
  },
  /** What deleting the app does to its objects' databases. @default "retain" */
  dataOnDelete: {
    schema: DataOnDelete,
    default: "retain",
    host: false,
    describe: 'What deleting the app does to its objects\' databases. Default: "retain".',
  },
  /**
   * Labels for people and policies, e.g. `["disposable"]` (the policy pack
   * allows `dataOnDelete: "delete"` only on a tagged app). Kept in the
   * stack's state, never sent to the host: a tags-only change calls no host
   * and makes no new version. @default []
   */
  tags: {
    schema: Tags,
    default: [],
    host: false,
    describe:
      'Labels for people and policies, e.g. ["disposable"] (the policy pack allows dataOnDelete "delete" only on a tagged app). Not sent to the host.',
  },
  /**
   * Roll a new version out gradually: `{ percent: 10 }` serves it to 10 %
   * of the app's objects (each pinned to one version) and stateless
   * requests while the version before keeps the rest; raising the percent
   * is an update, 100 (or no `rollout`) finishes it. The host stops it when
   * the new version's error rate over at least `minRequests` passes
   * `maxErrorRate` (default 5 % over 100). Ignored when the code does not
   * change. @default none
   */
  rollout: {
    schema: RolloutInput.nullable(),
    default: null,
    host: false,
    describe:
      'Roll a new version out to a share of the app\'s objects and requests: { "percent": 10, "maxErrorRate": 0.05, "minRequests": 100 }. 100 (or none) finishes the rollout.',
  },
} as const satisfies Record<string, { schema: z.ZodType; default: unknown; host: boolean; describe: string }>;

type Settings = typeof APP_SETTINGS;
export type AppSettingName = keyof Settings;
/** Every setting with its value. */
export type AppSettingValues = { -readonly [K in keyof Settings]: z.output<Settings[K]["schema"]> };
/** Settings as given: each may be left out. */
export type AppSettingArgs = { -readonly [K in keyof Settings]?: z.input<Settings[K]["schema"]> };
export const APP_SETTING_NAMES = Object.keys(APP_SETTINGS) as AppSettingName[];
type HostSettingName = { [K in AppSettingName]: Settings[K]["host"] extends true ? K : never }[AppSettingName];
/** The settings the host keeps (the others live only in the stack's state). */
export const HOST_SETTING_NAMES = APP_SETTING_NAMES.filter((k) => APP_SETTINGS[k].host) as HostSettingName[];

/** Each setting's value, or its default when left out. */
export function settingValues(given: AppSettingArgs): AppSettingValues {
  const out: Record<string, unknown> = {};
  for (const k of APP_SETTING_NAMES) out[k] = given[k] ?? APP_SETTINGS[k].default;
  return out as AppSettingValues;
}

/** The host's settings of `given`, each with its default when left out. */
export function hostSettingValues(given: Partial<Record<HostSettingName, unknown>>): AppSettings {
  const out: Record<string, unknown> = {};
  for (const k of HOST_SETTING_NAMES) out[k] = given[k] ?? APP_SETTINGS[k].default;
  return out as AppSettings;
}

/** An app's settings, as `PUT /_control/v1/apps/:app` takes them: the host's settings, each with its default. */
export const AppSettingsInput = z.strictObject({
  quota: APP_SETTINGS.quota.schema.default({}),
  outbound: APP_SETTINGS.outbound.schema.default("none"),
  logs: APP_SETTINGS.logs.schema.default(false),
  crons: APP_SETTINGS.crons.schema.default([]),
} satisfies { [K in HostSettingName]: z.ZodType });
export type AppSettingsInput = z.input<typeof AppSettingsInput>;
export type AppSettings = z.output<typeof AppSettingsInput>;
