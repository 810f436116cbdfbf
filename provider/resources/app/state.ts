/**
 * The App resource's state: the shape the engine stores and diffs, the
 * shape the provider works with, and the one reader between them
 * (readAppState), which the provider, the pull-request comment and the
 * policy pack all use.
 */
import {
  APP_SETTINGS,
  APP_SETTING_NAMES,
  type AppSettingValues,
  type ModuleType,
  type QuotaInput,
  type VersionAssets,
} from "../../shared/schema/index.js";

/**
 * The App resource's inputs as the provider works with them: small values
 * only, in few top-level properties. Each top-level property costs the Pulumi
 * SDK several promises, each with a captured stack trace, per resource and per
 * run: with 19 flat properties a fleet's preview took twice the engine's own
 * floor (bench:preview), so related fields travel together. State leaves out
 * fields at their default (see StoredAppState).
 */
export interface AppState {
  /** The app's name on the platform; a change replaces the app. */
  name: string;
  /** The code, as hashes: what changed shows per module in `preview --diff`. */
  code: AppCode;
  /** What the host enforces, and what deleting does. */
  settings: AppSettingsState;
  /** Secret env values (kept apart so `env` stays readable in diffs). */
  secrets: Record<string, string>;
  /** The platform's key of the secrets' digest in the version hash (secret); "" for an app without secrets. */
  secretsKey: string;
  /** Where the host's control API is; a new URL replaces the app. */
  control: AppControlAccess;
  /** The control API's bearer token (secret). */
  controlToken: string;
  /** The gradual rollout this state asks for (planned by check from the previous state); null: none. */
  rollout?: RolloutPlan | null;
}

/**
 * A rollout in progress: `code` is the candidate, `stable` the version that
 * serves the rest. `summary` is what a preview shows ("1a2b3c4d → 5e6f7a8b at 10 %").
 */
export interface RolloutPlan {
  stable: string;
  summary: string;
}

export interface AppCode {
  versionHash: string;
  mainModule: string;
  /** Module name to its type, sha256 and size. */
  modules: Record<string, { type: ModuleType; sha256: string; size: number }>;
  /** Where to re-bundle from when the cache lacks a module: relative to the project folder, or absolute (see App). */
  source: { root: string; entry: string } | null;
  compatibilityDate: string;
  compatibilityFlags: string[];
  durableObject: string | null;
  /** Declared namespace bindings: binding → class. */
  durableObjects: Record<string, string>;
  env: Record<string, string>;
  /** Static assets: options and path → sha256, size, content type (contents in the bundle cache). */
  assets?: VersionAssets | null;
}

/** Every setting with its value (see APP_SETTINGS). `tags` never reach the host. */
export type AppSettingsState = AppSettingValues;

export interface AppControlAccess {
  url: string;
  /** The platform's ceilings, when known, so check() can refuse before any call. */
  maxQuota: QuotaInput | null;
}

/** Fields whose default state leaves out, group by group, with that default. */
const DEFAULTS = {
  code: { source: null, compatibilityFlags: [], durableObject: null, durableObjects: {}, env: {}, assets: null },
  settings: Object.fromEntries(APP_SETTING_NAMES.map((k) => [k, APP_SETTINGS[k].default])) as Partial<AppSettingValues>,
  control: { maxQuota: null },
} as const satisfies { [G in "code" | "settings" | "control"]: Partial<AppState[G]> };

type Lean<T, D> = Omit<T, keyof D> & Partial<Pick<T, keyof D & keyof T>>;

/**
 * An App's state as the engine stores it: AppState without the fields at
 * their default (an empty quota, env or flag list, `outbound: "none"`, no
 * secrets, …). At N = 200 apps the defaults were a fifth of every App's
 * state, which the engine reads, diffs and writes on every run.
 */
export interface StoredAppState {
  name: string;
  code: Lean<AppCode, typeof DEFAULTS.code>;
  settings?: Lean<AppSettingsState, typeof DEFAULTS.settings>;
  secrets?: Record<string, string>;
  /** Only beside `secrets`. */
  secretsKey?: string;
  control: Lean<AppControlAccess, typeof DEFAULTS.control>;
  controlToken: string;
  /** Only while a rollout is in progress. */
  rollout?: RolloutPlan | null;
}

/** Equal as state compares values: by their JSON, absent and null alike. */
export const same = (a: unknown, b: unknown) => JSON.stringify(a ?? null) === JSON.stringify(b ?? null);

const isEmpty = (v: unknown) =>
  v === undefined ||
  v === null ||
  (Array.isArray(v) ? v.length === 0 : typeof v === "object" && Object.keys(v as object).length === 0);

/**
 * `group` without the fields equal to their default. Only equal ones: a value
 * of the wrong kind (`quota: []`) stays, so check() names it.
 */
function lean<T extends object>(group: T, defaults: Record<string, unknown>): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(group)) {
    if (v === undefined || (k in defaults && same(v, defaults[k]))) continue;
    out[k] = v;
  }
  return out as Partial<T>;
}

/** What state keeps of an App's code: without the fields at their default. */
export const storedCode = (c: AppCode): StoredAppState["code"] => lean(c, DEFAULTS.code) as StoredAppState["code"];

/** What state keeps of an App's settings, or nothing when all are at their default. */
export function storedSettings(s: AppSettingsState): StoredAppState["settings"] {
  const settings = lean(s, DEFAULTS.settings);
  return Object.keys(settings).length > 0 ? (settings as StoredAppState["settings"]) : undefined;
}

/** What state keeps of an App: the groups without their defaults, and no empty `settings` or `secrets`. */
export function storedState(s: AppState): StoredAppState {
  const settings = storedSettings(s.settings);
  return {
    name: s.name,
    code: storedCode(s.code),
    ...(settings ? { settings } : {}),
    ...(Object.keys(s.secrets ?? {}).length > 0
      ? { secrets: s.secrets, ...(s.secretsKey ? { secretsKey: s.secretsKey } : {}) }
      : {}),
    control: lean(
      { url: s.control.url, maxQuota: readMaxQuota(s.control) },
      DEFAULTS.control,
    ) as StoredAppState["control"],
    controlToken: s.controlToken,
    ...(s.rollout ? { rollout: s.rollout } : {}),
  };
}

/**
 * State as the provider works with it, from whatever an App's state holds:
 * lean state as stored, state that spells its defaults out, or the JSON of
 * `pulumi preview --json` and the policy analyzer (groups may be missing, and
 * secrets may show as "[secret]" or wrapped). Missing fields take their
 * default, so none of these shows a change that is not one. Each group has
 * its own reader: the policy analyzer refuses any read of a value not known
 * at preview (the control URL and token of a new platform), so the policy
 * pack reads only the groups it needs.
 */
export function readAppState(raw: unknown): AppState {
  const s = group(raw);
  return {
    name: typeof s.name === "string" ? s.name : "",
    code: readAppCode(s.code),
    settings: readAppSettings(s.settings),
    secrets: group(s.secrets) as Record<string, string>,
    secretsKey: typeof s.secretsKey === "string" ? s.secretsKey : "",
    control: { url: group(s.control).url as string, maxQuota: readMaxQuota(s.control) },
    controlToken: typeof s.controlToken === "string" ? s.controlToken : "",
    rollout: readRollout(s.rollout),
  };
}

/** The `code` group, its defaults filled in. */
export const readAppCode = (raw: unknown): AppCode =>
  ({ ...DEFAULTS.code, ...present(group(raw)) }) as unknown as AppCode;

/** The `settings` group: every setting, its default when left out. */
export const readAppSettings = (raw: unknown): AppSettingsState =>
  ({ ...DEFAULTS.settings, ...present(group(raw)) }) as AppSettingsState;

/** The platform's ceilings from the `control` group (reading nothing else of it); an empty ceiling is none. */
export function readMaxQuota(rawControl: unknown): QuotaInput | null {
  const maxQuota = group(rawControl).maxQuota as QuotaInput | null | undefined;
  return isEmpty(maxQuota) ? null : maxQuota!;
}

/** Pulumi's wire form of a secret value, as the policy analyzer may hand one over. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";

/** An object group of state, unwrapped from a secret; anything else (absent, "[secret]") reads as empty. */
function group(v: unknown): Record<string, unknown> {
  const value = v !== null && typeof v === "object" && SECRET_SIG in v ? (v as { value?: unknown }).value : v;
  return value !== null && typeof value === "object" && !Array.isArray(value) ? (value as Record<string, unknown>) : {};
}

/** The fields of `o` that are there: neither undefined nor null (a default fills those). */
function present<T extends object>(o: T | undefined): Partial<T> {
  const out: Record<string, unknown> = {};
  for (const [k, v] of Object.entries(o ?? {})) if (v !== undefined && v !== null) out[k] = v;
  return out as Partial<T>;
}

/** The `rollout` property, or null when there is none (or it is not a plan). */
export function readRollout(raw: unknown): RolloutPlan | null {
  const r = group(raw);
  return typeof r.stable === "string" && typeof r.summary === "string"
    ? { stable: r.stable, summary: r.summary }
    : null;
}
