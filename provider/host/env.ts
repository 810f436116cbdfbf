/** The host's parsed platform settings, and stubs of its Durable Objects (the bindings are typed in bindings.d.ts). */
import { PlatformConfig, describeIssues, formatIssues } from "../shared/schema/index.js";
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

export function catalogStub(env: Env) {
  return env.CATALOG.get(env.CATALOG.idFromName(CATALOG_NAME));
}

export function appControlStub(env: Env, app: string) {
  return env.APP_CONTROL.get(env.APP_CONTROL.idFromName(app));
}

/**
 * An app's object `name` is the AppObject named `<app>/<name>`. App names
 * hold no '/', so the first '/' splits the two unambiguously.
 */
export function appObjectStub(env: Env, app: string, name: string) {
  return env.APP_OBJECTS.get(env.APP_OBJECTS.idFromName(`${app}/${name}`));
}
