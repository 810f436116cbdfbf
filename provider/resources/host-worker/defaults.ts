/**
 * The HostWorker inputs the Platform defaults, and how an existing host keeps
 * what it was deployed with: the provider's check runs this on every
 * preview, so it imports nothing.
 */
import type { HostWorkerInputs } from "./inputs.js";

/**
 * Which of the inputs the Platform defaulted rather than the program gave
 * (`scriptName` from the resource name, and the local `appsDomain` from
 * it). Only the provider's check reads it, and leaves it out of the inputs
 * it returns, so state never holds it.
 */
export interface HostWorkerDefaults {
  __defaulted?: ("scriptName" | "appsDomain")[];
}

/** The Platform's default script name: its resource name as a script name (a-z, 0-9, '-'; at most 63). */
export function defaultScriptName(resourceName: string): string {
  const name = resourceName
    .toLowerCase()
    .replace(/[^a-z0-9-]+/g, "-")
    .slice(0, 63)
    .replace(/^-+|-+$/g, "");
  return name || "dynamic-workers";
}

/** The local target's default appsDomain for a script. */
export const localAppsDomain = (scriptName: string) => `${scriptName}.localhost`;

/**
 * The inputs to check and store: those the program gave, and for a host that
 * exists already, the script name it has where the program left it to the
 * default. A platform made when the default was "dynamic-workers" keeps its
 * script (and its apps' local domain) rather than being replaced by a new
 * one named after its resource.
 */
export function keepDeployedName(
  olds: Partial<HostWorkerInputs> | undefined,
  given: HostWorkerInputs & HostWorkerDefaults,
): HostWorkerInputs {
  const { __defaulted: defaulted = [], ...news } = given;
  const deployed = olds?.scriptName;
  if (!deployed || !defaulted.includes("scriptName") || deployed === news.scriptName) return news;
  const config = news.platformConfig ?? {};
  const appsDomain =
    defaulted.includes("appsDomain") && config.appsDomain === localAppsDomain(news.scriptName)
      ? { appsDomain: localAppsDomain(deployed) }
      : {};
  return { ...news, scriptName: deployed, platformConfig: { ...config, ...appsDomain } };
}
