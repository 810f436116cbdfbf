/**
 * The HostWorker resource's inputs and their checks, apart from the upload
 * code: the Pulumi program imports this, and so does not load the
 * `cloudflare` SDK, which only the provider needs.
 */
import { HOST_COMPATIBILITY_DATE } from "../../cloudflare/host-script.js";
import { PlatformConfig, formatIssues, type PlatformConfigInput } from "../../shared/schema/index.js";

export const CLOUDFLARE_API_BASE_URL = "https://api.cloudflare.com/client/v4";

/** What the HostWorker resource declares. */
export interface HostWorkerInputs {
  accountId: string;
  apiBaseUrl: string;
  scriptName: string;
  compatibilityDate: string;
  /** sha256 of dist/host.js: a package upgrade shows as this one change. */
  bundleSha256: string;
  platformConfig: PlatformConfigInput;
  /** Change it to rotate the control token. */
  rotateControlToken: string;
  /**
   * What deleting this resource does: "retain" leaves the script and its
   * Durable Objects (every app's data) on the account, so a re-created
   * platform finds them; "delete" deletes the script and all its data.
   */
  dataOnDelete: "retain" | "delete";
}

/** Inputs whose change needs a new upload (dataOnDelete only changes what delete will do). */
export const HOST_UPLOAD_FIELDS = [
  "accountId",
  "apiBaseUrl",
  "scriptName",
  "compatibilityDate",
  "bundleSha256",
  "platformConfig",
  "rotateControlToken",
] as const;

/** Validates the inputs the way the upload will need them; one message per bad field. */
export function checkHostInputs(inputs: HostWorkerInputs): { property: string; reason: string }[] {
  const failures: { property: string; reason: string }[] = [];
  if (!/^[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/.test(inputs.scriptName ?? "")) {
    failures.push({
      property: "scriptName",
      reason: "must be 1-63 characters of a-z, 0-9 and '-', not starting or ending with '-'",
    });
  }
  const config = PlatformConfig.safeParse(inputs.platformConfig ?? {});
  if (!config.success) {
    const badName = failures.length > 0;
    for (const i of formatIssues(config.error)) {
      // A bad scriptName also makes a bad default appsDomain: name the cause once.
      if (badName && i.path === "appsDomain") continue;
      failures.push({ property: "platformConfig", reason: `${i.path}: ${i.message}` });
    }
  }
  if (
    !/^\d{4}-\d{2}-\d{2}$/.test(inputs.compatibilityDate ?? "") ||
    inputs.compatibilityDate < HOST_COMPATIBILITY_DATE
  ) {
    failures.push({
      property: "compatibilityDate",
      reason: `must be a date YYYY-MM-DD on or after ${HOST_COMPATIBILITY_DATE} (the host needs it)`,
    });
  }
  if (!inputs.accountId)
    failures.push({ property: "accountId", reason: "must be a Cloudflare account id, or 'local'" });
  if (inputs.dataOnDelete !== "retain" && inputs.dataOnDelete !== "delete") {
    failures.push({ property: "dataOnDelete", reason: "must be 'retain' or 'delete'" });
  }
  return failures;
}
