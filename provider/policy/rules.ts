/**
 * The policy pack's rules as pure functions over plain data: what an App
 * resource's inputs say (AppFacts), the pack's config, and the violations,
 * each naming the app, the field and the limit. pack.ts wires them into
 * `@pulumi/policy`; tests call them directly.
 *
 * Effective quotas come from shared/schema's effectiveQuota (the host's rule);
 * host patterns are matched with shared/egress-rule.ts's egressDecision (the host's rule).
 */
import { z } from "zod";
import { readAppCode, readAppSettings, readMaxQuota } from "../resources/app/state.js";
import { egressDecision } from "../shared/egress-rule.js";
import {
  CompatibilityDate,
  HostPattern,
  PlatformConfig,
  QUOTA_FIELDS,
  QuotaInput,
  Tag,
  effectiveQuota,
  type Outbound,
} from "../shared/schema/index.js";

/** The App resource's type token, as the engine and the analyzer see it. */
export const APP_TYPE = "pulumi-nodejs:dynamic/dynamic-workers:App";
/** The HostWorker resource's type token (its inputs hold the platform's defaults and ceilings). */
export const HOST_WORKER_TYPE = "pulumi-nodejs:dynamic/dynamic-workers:HostWorker";

/** The pack's policies, by name: the keys of a `--policy-pack-config` file. */
export const POLICY_NAMES = {
  appQuota: "app-quota-ceiling",
  totalQuota: "total-quota-ceiling",
  outbound: "outbound-allowed-hosts",
  dataOnDelete: "data-on-delete-disposable",
  compatibilityDate: "minimum-compatibility-date",
} as const;

/** What the policies read of an App resource's inputs. */
export interface AppFacts {
  /** The app's name on the platform (the `name` input), which every violation names. */
  name: string;
  quota: z.infer<typeof QuotaInput>;
  outbound: Outbound;
  dataOnDelete: "retain" | "delete";
  compatibilityDate: string;
  tags: string[];
  /** The platform's ceilings the App carries; null when it was given controlUrl instead of a platform. */
  maxQuota: z.infer<typeof QuotaInput> | null;
}

/** The platform settings an effective quota depends on. */
export type QuotaContext = Pick<PlatformConfig, "defaults" | "limits">;

/**
 * Reads the facts from an App's inputs with the provider's readers (absent
 * fields take the App's defaults), group by group: at preview the analyzer
 * refuses a read of what is not known yet, such as a new platform's URL.
 */
export function appFacts(props: Record<string, unknown>): AppFacts {
  const { quota, outbound, dataOnDelete, tags } = readAppSettings(props.settings);
  const compatibilityDate = readAppCode(props.code).compatibilityDate ?? "";
  return {
    name: String(props.name),
    quota,
    outbound,
    dataOnDelete,
    compatibilityDate,
    tags,
    maxQuota: readMaxQuota(props.control),
  };
}

/** Config of the two quota policies: a ceiling per Quota field; fields left out have none. */
export const QuotaCeilingConfig = QuotaInput;
export type QuotaCeilingConfig = z.infer<typeof QuotaCeilingConfig>;

/** Config of the outbound policy. */
export const OutboundConfig = z.strictObject({
  /** Hosts apps may be allowed to call: `api.example.com` or `*.example.org`. @default [] (no outbound at all) */
  allowedHosts: z.array(HostPattern).max(1000).default([]),
});
export type OutboundConfig = z.output<typeof OutboundConfig>;

/** Config of the dataOnDelete policy. */
export const DataOnDeleteConfig = z.strictObject({
  /** The tag that marks an app whose data may be deleted with it. @default "disposable" */
  disposableTag: Tag.default("disposable"),
});
export type DataOnDeleteConfig = z.output<typeof DataOnDeleteConfig>;

/** Config of the compatibility date policy. */
export const CompatibilityDateConfig = z.strictObject({
  /** The oldest compatibility date an app may declare. @default none */
  minimum: CompatibilityDate.optional(),
});
export type CompatibilityDateConfig = z.output<typeof CompatibilityDateConfig>;

/** Each policy's config schema, by policy name. */
export const POLICY_CONFIGS = {
  [POLICY_NAMES.appQuota]: QuotaCeilingConfig,
  [POLICY_NAMES.totalQuota]: QuotaCeilingConfig,
  [POLICY_NAMES.outbound]: OutboundConfig,
  [POLICY_NAMES.dataOnDelete]: DataOnDeleteConfig,
  [POLICY_NAMES.compatibilityDate]: CompatibilityDateConfig,
} as const;

/** A policy's config, validated; a bad config throws naming the policy and the fields. */
export function parsePolicyConfig<N extends keyof typeof POLICY_CONFIGS>(
  policy: N,
  raw: unknown,
): z.output<(typeof POLICY_CONFIGS)[N]> {
  const r = (POLICY_CONFIGS[policy] as z.ZodType).safeParse(raw ?? {});
  if (!r.success) {
    const issues = r.error.issues.map((i) => `${[policy, ...i.path].join(".")}: ${i.message}`).join("; ");
    throw new Error(`policy pack config: ${issues}`);
  }
  return r.data as z.output<(typeof POLICY_CONFIGS)[N]>;
}

/** The JSON Schema properties of a policy's config, for `@pulumi/policy`'s configSchema (the CLI validates with it). */
export function configSchemaOf(policy: keyof typeof POLICY_CONFIGS): { properties: Record<string, object> } {
  const schema = z.toJSONSchema(POLICY_CONFIGS[policy], { io: "input", target: "draft-7" }) as {
    properties?: Record<string, object>;
  };
  return { properties: schema.properties ?? {} };
}

/** One violation: the app it is about (null for a stack-wide one) and the message. */
export interface Violation {
  app: string | null;
  message: string;
}

/**
 * The quota context of each app: the platform's config when the stack has
 * exactly one HostWorker (its inputs hold the defaults and ceilings the host
 * applies), else the ceilings the App carries, with no platform defaults.
 */
export function quotaContextOf(app: AppFacts, hostConfigs: readonly unknown[]): QuotaContext {
  if (hostConfigs.length === 1) {
    const r = PlatformConfig.safeParse(hostConfigs[0]);
    if (r.success) return r.data;
  }
  return { defaults: { quota: {} }, limits: { maxApps: 0, maxQuota: app.maxQuota ?? {} } };
}

/** Per app: each field of its effective quota above the configured ceiling. */
export function checkAppQuota(app: AppFacts, ctx: QuotaContext, ceiling: QuotaCeilingConfig): Violation[] {
  const quota = effectiveQuota(app.quota, ctx);
  const out: Violation[] = [];
  for (const field of QUOTA_FIELDS) {
    const max = ceiling[field];
    if (max === undefined || quota[field] <= max) continue;
    const how = app.quota[field] === undefined ? " (not declared: the platform's default)" : "";
    out.push({
      app: app.name,
      message: `app '${app.name}': quota.${field} ${quota[field]}${how} exceeds the ceiling ${max}`,
    });
  }
  return out;
}

/** Across the stack: each field's sum of effective quotas above the configured ceiling, naming the apps. */
export function checkTotalQuota(
  apps: readonly { app: AppFacts; ctx: QuotaContext }[],
  ceiling: QuotaCeilingConfig,
): Violation[] {
  const quotas = apps.map(({ app, ctx }) => ({ name: app.name, quota: effectiveQuota(app.quota, ctx) }));
  const out: Violation[] = [];
  for (const field of QUOTA_FIELDS) {
    const max = ceiling[field];
    if (max === undefined) continue;
    const total = quotas.reduce((sum, q) => sum + q.quota[field], 0);
    if (total <= max) continue;
    const parts = [...quotas].sort((a, b) => b.quota[field] - a.quota[field] || (a.name < b.name ? -1 : 1));
    const shown = parts.slice(0, 10).map((q) => `'${q.name}' ${q.quota[field]}`);
    if (parts.length > 10) shown.push(`and ${parts.length - 10} more`);
    out.push({
      app: null,
      message: `apps ${shown.join(", ")}: total quota.${field} ${total} exceeds the ceiling ${max} for all apps of the stack`,
    });
  }
  return out;
}

/** A label that no allow-list entry can name exactly, used to test wildcard coverage. */
const PROBE_LABEL = "policy-probe";

/**
 * Whether every host an app's allow-list entry admits is admitted by the
 * configured hosts: a host needs itself or a wildcard above it; a wildcard
 * `*.example.org` needs `*.example.org` or a broader wildcard (`*.org` is not
 * a valid pattern, so `*.example.org` is as broad as it gets for that name).
 */
export function hostCovered(entry: string, allowed: readonly string[]): boolean {
  const pattern = entry.toLowerCase().replace(/\.$/, "");
  if (!pattern.startsWith("*.")) return egressDecision(`https://${pattern}/`, allowed).allowed;
  // A wildcard admits every subdomain: only a wildcard can cover it, so ask with a probe subdomain
  // against the configured wildcards alone.
  const wildcards = allowed.filter((a) => a.startsWith("*."));
  return egressDecision(`https://${PROBE_LABEL}.${pattern.slice(2)}/`, wildcards).allowed;
}

/** An app's outbound allow-list entries that the configured hosts do not cover. */
export function checkOutbound(app: AppFacts, config: OutboundConfig): Violation[] {
  if (app.outbound === "none") return [];
  const allowed = config.allowedHosts;
  const list = allowed.length > 0 ? allowed.join(", ") : "none configured";
  return app.outbound.allow.flatMap((entry, i) =>
    hostCovered(entry, allowed)
      ? []
      : [
          {
            app: app.name,
            message: `app '${app.name}': outbound.allow[${i}] '${entry}' is not within the allowed hosts (${list})`,
          },
        ],
  );
}

/** `dataOnDelete: "delete"` only on an app tagged as disposable. */
export function checkDataOnDelete(app: AppFacts, config: DataOnDeleteConfig): Violation[] {
  if (app.dataOnDelete !== "delete" || app.tags.includes(config.disposableTag)) return [];
  const tags = app.tags.length > 0 ? app.tags.join(", ") : "none";
  return [
    {
      app: app.name,
      message: `app '${app.name}': dataOnDelete "delete" is allowed only with the tag '${config.disposableTag}' (the app's tags: ${tags})`,
    },
  ];
}

/** A compatibility date not older than the configured minimum (dates compare as YYYY-MM-DD text). */
export function checkCompatibilityDate(app: AppFacts, config: CompatibilityDateConfig): Violation[] {
  if (config.minimum === undefined || app.compatibilityDate >= config.minimum) return [];
  return [
    {
      app: app.name,
      message: `app '${app.name}': compatibilityDate ${app.compatibilityDate} is older than the minimum ${config.minimum}`,
    },
  ];
}
