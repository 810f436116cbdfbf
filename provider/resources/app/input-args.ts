/**
 * The App's arguments as `pulumi.Input`s, so other resources' outputs flow
 * in (an env value from a Platform's output, a quota from stack config, a
 * name computed elsewhere). Arguments given as Outputs resolve first, then
 * take the plain path; while one is unknown (a preview before the resource
 * it comes from exists), the App's code and settings are unknown too, and
 * the provider's check leaves them to the update (check.ts).
 */
import * as pulumi from "@pulumi/pulumi";

/** Arguments resolved apart: they hold Outputs already, or resources. */
const KEPT: readonly string[] = ["platform", "secrets", "secretsKey", "controlUrl", "controlToken"];

/** True when an argument (or a member of one) is an Output or a promise. */
export function containsOutput(args: object): boolean {
  const seen = (v: unknown, depth: number): boolean => {
    if (v === null || v === undefined) return false;
    if (pulumi.Output.isInstance(v) || typeof (v as { then?: unknown }).then === "function") return true;
    if (depth === 0 || typeof v !== "object") return false;
    return Object.values(v as object).some((m) => seen(m, depth - 1));
  };
  return Object.entries(args).some(([k, v]) => !KEPT.includes(k) && seen(v, 4));
}

/** The App's parts from arguments with Outputs: `parts` runs once they are known. */
export function resolvedParts<A extends object, P extends { appName: unknown; code: unknown; settings: unknown }>(
  args: object,
  parts: (plain: A) => P,
): { appName: pulumi.Output<string>; code: pulumi.Output<unknown>; settings: pulumi.Output<unknown> } {
  const given = Object.fromEntries(Object.entries(args).filter(([k]) => !KEPT.includes(k)));
  const kept = Object.fromEntries(Object.entries(args).filter(([k]) => KEPT.includes(k)));
  const resolved = pulumi.output(given).apply((plain) => {
    const p = parts({ ...kept, ...plain } as A);
    return pulumi.output({ appName: p.appName, code: p.code, settings: p.settings ?? null });
  });
  return {
    appName: resolved.apply((r) => r.appName as string),
    code: resolved.apply((r) => r.code),
    settings: resolved.apply((r) => r.settings ?? undefined),
  };
}
