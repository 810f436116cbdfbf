/**
 * policy/: the @pulumi/policy pack: pack.ts (this file, the wiring) and rules.ts (the rules, pure).
 *
 * The `dynamic-workers` policy pack: importing this module serves it (a
 * gRPC analyzer that prints its port), so only the pack's entry points
 * (policy/index.js, policy/run.mjs) import it. The rules are in rules.ts.
 *
 * Every policy is mandatory unless the `--policy-pack-config` file says
 * otherwise (`"enforcementLevel"` per policy, or `"all"`).
 */
import {
  PolicyPack,
  type ReportViolation,
  type ResourceValidationPolicy,
  type StackValidationPolicy,
} from "@pulumi/policy";
import {
  APP_TYPE,
  HOST_WORKER_TYPE,
  POLICY_NAMES,
  appFacts,
  checkAppQuota,
  checkCompatibilityDate,
  checkDataOnDelete,
  checkOutbound,
  checkTotalQuota,
  configSchemaOf,
  parsePolicyConfig,
  quotaContextOf,
  type Violation,
} from "./rules.js";

type StackArgs = Parameters<StackValidationPolicy["validateStack"]>[0];

/** Each App of the stack with the quota context the host applies to it. */
function appsWithContext(args: StackArgs) {
  const hostConfigs = args.resources
    .filter((r) => r.type === HOST_WORKER_TYPE)
    .map((r) => r.props.platformConfig as unknown);
  return args.resources
    .filter((r) => r.type === APP_TYPE)
    .map((r) => {
      const app = appFacts(r.props);
      return { urn: r.urn, app, ctx: quotaContextOf(app, hostConfigs) };
    });
}

function report(violations: Violation[], reportViolation: ReportViolation, urn?: string): void {
  for (const v of violations) reportViolation(v.message, urn);
}

const appQuota: StackValidationPolicy = {
  name: POLICY_NAMES.appQuota,
  description:
    "No app's effective quota (declared, else the platform's default) exceeds the configured ceiling per field.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf(POLICY_NAMES.appQuota),
  validateStack: (args, reportViolation) => {
    const ceiling = parsePolicyConfig(POLICY_NAMES.appQuota, args.getConfig());
    for (const { urn, app, ctx } of appsWithContext(args))
      report(checkAppQuota(app, ctx, ceiling), reportViolation, urn);
  },
};

const totalQuota: StackValidationPolicy = {
  name: POLICY_NAMES.totalQuota,
  description: "The sum of the stack's apps' effective quotas stays within the configured ceiling per field.",
  enforcementLevel: "mandatory",
  configSchema: configSchemaOf(POLICY_NAMES.totalQuota),
  validateStack: (args, reportViolation) => {
    const ceiling = parsePolicyConfig(POLICY_NAMES.totalQuota, args.getConfig());
    report(checkTotalQuota(appsWithContext(args), ceiling), reportViolation);
  },
};

/** A policy over each App's inputs. */
function appPolicy(
  name: Parameters<typeof configSchemaOf>[0],
  description: string,
  check: (app: ReturnType<typeof appFacts>, config: unknown) => Violation[],
): ResourceValidationPolicy {
  return {
    name,
    description,
    enforcementLevel: "mandatory",
    configSchema: configSchemaOf(name),
    validateResource: (args, reportViolation) => {
      if (args.type !== APP_TYPE) return;
      report(check(appFacts(args.props), args.getConfig()), reportViolation);
    },
  };
}

new PolicyPack("dynamic-workers", {
  enforcementLevel: "mandatory",
  policies: [
    appQuota,
    totalQuota,
    appPolicy(POLICY_NAMES.outbound, "An app's outbound allow-list stays within the configured hosts.", (app, raw) =>
      checkOutbound(app, parsePolicyConfig(POLICY_NAMES.outbound, raw)),
    ),
    appPolicy(POLICY_NAMES.dataOnDelete, 'dataOnDelete "delete" only on an app tagged as disposable.', (app, raw) =>
      checkDataOnDelete(app, parsePolicyConfig(POLICY_NAMES.dataOnDelete, raw)),
    ),
    appPolicy(
      POLICY_NAMES.compatibilityDate,
      "No app's compatibility date is older than the configured minimum.",
      (app, raw) => checkCompatibilityDate(app, parsePolicyConfig(POLICY_NAMES.compatibilityDate, raw)),
    ),
  ],
});
