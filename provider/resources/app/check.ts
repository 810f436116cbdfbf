/**
 * What the App provider's check and diff need, and nothing more: they run on
 * every preview for every app, so this module loads only the schemas and the
 * state shapes (not esbuild, the control client or the source readers of
 * ops.ts).
 */
import { readAppState, same, type AppState, type StoredAppState } from "./state.js";
import { assetFailures } from "./assets-check.js";
import {
  APP_SETTINGS,
  APP_SETTING_NAMES,
  AppName,
  ClassName,
  CompatibilityDate,
  CompatibilityFlags,
  EnvVarName,
  QuotaInput,
  effectiveQuota,
  formatIssues,
  quotaOverCeiling,
} from "../../shared/schema/index.js";

export interface CheckFailure {
  property: string;
  reason: string;
}

/**
 * Every bad field, one failure per property, as Pulumi shows them. Properties
 * are named as the App's arguments name them (`quota.maxObjects`), not by
 * where state keeps them.
 */
export function checkApp(s: StoredAppState): CheckFailure[] {
  const failures: CheckFailure[] = [];
  const field = (
    property: string,
    schema: { safeParse(v: unknown): { success: boolean; error?: unknown } },
    value: unknown,
  ) => {
    const r = schema.safeParse(value);
    if (!r.success) {
      for (const i of formatIssues(r.error as never)) {
        failures.push({ property, reason: i.path === "(root)" ? i.message : `${i.path}: ${i.message}` });
      }
    }
  };
  // A group made of Outputs not yet known (a preview before the resource they come from exists)
  // comes as the engine's unknown marker: it is checked when known, at the update.
  if (known(s.name)) field("name", AppName, s.name);
  if (known(s.code)) checkCode(s, field, failures);
  if (known(s.settings)) checkSettings(s, field, failures);
  const code = s.code;
  if (known(code) && known(s.settings) && code?.assets) {
    const quota = s.settings?.quota ?? {};
    failures.push(...assetFailures(s.name, code.assets, { ...code, secrets: s.secrets }, quota, s.control?.maxQuota));
  }
  return failures;
}

/** The engine's stand-in for a value not known at preview, as a dynamic provider receives it. */
const UNKNOWN = "04da6b54-80e4-46f7-96ec-b56ff0331ba9";
const known = (v: unknown) => v !== UNKNOWN;

type FieldCheck = (
  property: string,
  schema: { safeParse(v: unknown): { success: boolean; error?: unknown } },
  value: unknown,
) => void;

function checkCode(s: StoredAppState, field: FieldCheck, failures: CheckFailure[]): void {
  const code: Partial<AppState["code"]> = s.code ?? {};
  const secrets = known(s.secrets) ? (s.secrets ?? {}) : {};
  field("compatibilityDate", CompatibilityDate, code.compatibilityDate);
  const flags = CompatibilityFlags.safeParse(code.compatibilityFlags ?? []);
  for (const i of flags.success ? [] : formatIssues(flags.error, "compatibilityFlags"))
    failures.push({ property: i.path, reason: i.message });
  if (code.durableObject !== null && code.durableObject !== undefined)
    field("durableObject", ClassName, code.durableObject);
  for (const [b, cls] of Object.entries(code.durableObjects ?? {})) {
    field(`durableObjects.${b}`, EnvVarName, b);
    field(`durableObjects.${b}`, ClassName, cls);
    if (b in (code.env ?? {}) || b in secrets)
      failures.push({
        property: `durableObjects.${b}`,
        reason: `'${b}' is also an env var or a secret; use one name for one thing`,
      });
  }
  for (const k of Object.keys(code.env ?? {})) field(`env.${k}`, EnvVarName, k);
  for (const k of Object.keys(secrets)) {
    field(`secrets.${k}`, EnvVarName, k);
    if (k in (code.env ?? {}))
      failures.push({ property: `secrets.${k}`, reason: `'${k}' is both an env var and a secret; use one` });
  }
}

function checkSettings(s: StoredAppState, field: FieldCheck, failures: CheckFailure[]): void {
  const settings: Partial<AppState["settings"]> = s.settings ?? {};
  // Every setting, at preview: the host refuses a bad host setting too, but only at deploy.
  for (const k of APP_SETTING_NAMES) field(k, APP_SETTINGS[k].schema, settings[k] ?? APP_SETTINGS[k].default);
  const quota = settings.quota ?? {};
  const maxQuota = s.control?.maxQuota;
  if (maxQuota && QuotaInput.safeParse(quota).success) {
    const effective = effectiveQuota(quota, { defaults: { quota: {} }, limits: { maxQuota } });
    for (const i of quotaOverCeiling(effective, maxQuota)) failures.push({ property: i.path, reason: i.message });
  }
}

/**
 * What a change does: a new name or another host replaces the app; new code
 * or host settings roll out; anything else (the token, `dataOnDelete`, tags,
 * where the source is) only changes what state records.
 */
export function diffApp(
  stored: StoredAppState,
  next: StoredAppState,
): { changes: boolean; replaces: string[]; deleteBeforeReplace: boolean } {
  const [olds, news] = [readAppState(stored), readAppState(next)];
  const replaces: string[] = [];
  if (!same(olds.name, news.name)) replaces.push("name");
  if (!same(olds.control.url, news.control.url)) replaces.push("control");
  // State that spells out defaults is equal to lean state: no change.
  const changes =
    replaces.length > 0 ||
    (["code", "settings", "secrets", "control", "controlToken", "rollout"] as const).some(
      (f) => !same(olds[f], news[f]),
    );
  // A rename may not free the old name's data: create the new app first, then delete the old.
  return { changes, replaces, deleteBeforeReplace: false };
}
