/** The host Worker's bindings and its parsed platform settings. */
import { PlatformConfig, describeIssues, formatIssues } from "../shared/schema/index.js";
import type { AppControl } from "./objects/app-control.js";
import type { AppObject } from "./objects/app-object.js";
import type { Catalog } from "./objects/catalog.js";

export interface Env {
  /** worker_loader: runs each app's code in its own isolate. */
  LOADER: WorkerLoader;
  /** The one Catalog object: the app list and platform caps. */
  CATALOG: DurableObjectNamespace<Catalog>;
  /** One AppControl object per app: versions, modules, settings. */
  APP_CONTROL: DurableObjectNamespace<AppControl>;
  /** One AppObject per (app, object name): runs the app's class as a facet. */
  APP_OBJECTS: DurableObjectNamespace<AppObject>;
  /** secret_text: the control API's bearer token. Unset: control API disabled. */
  CONTROL_TOKEN?: string;
  /** json: PlatformConfig. Unset: every default. */
  PLATFORM_CONFIG?: unknown;
}

let parsedFrom: unknown = Symbol("none");
let parsed: PlatformConfig | undefined;

/** The platform settings, parsed once per isolate. */
export function platformConfig(env: Env): PlatformConfig {
  if (parsed && parsedFrom === env.PLATFORM_CONFIG) return parsed;
  const r = PlatformConfig.safeParse(env.PLATFORM_CONFIG ?? {});
  if (!r.success) {
    throw new Error(`PLATFORM_CONFIG is invalid: ${describeIssues(formatIssues(r.error, "PLATFORM_CONFIG"))}`);
  }
  parsedFrom = env.PLATFORM_CONFIG;
  parsed = r.data;
  return parsed;
}

export const CATALOG_NAME = "catalog";

export function catalogStub(env: Env): DurableObjectStub<Catalog> {
  return env.CATALOG.get(env.CATALOG.idFromName(CATALOG_NAME));
}

export function appControlStub(env: Env, app: string): DurableObjectStub<AppControl> {
  return env.APP_CONTROL.get(env.APP_CONTROL.idFromName(app));
}

/**
 * An app's object `name` is the AppObject named `<app>/<name>`. App names
 * hold no '/', so the first '/' splits the two unambiguously.
 */
export function appObjectStub(env: Env, app: string, name: string): DurableObjectStub<AppObject> {
  return env.APP_OBJECTS.get(env.APP_OBJECTS.idFromName(`${app}/${name}`));
}
