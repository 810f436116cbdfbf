/**
 * Cloudflare's Worker size limits, enforced on each upload so a Worker that
 * passes locally is not refused on deploy.
 *
 * - Worker size: 64 MiB uncompressed on every plan (Cloudflare changelog
 *   2026-09-04 "increased worker size limit"; the 3 MiB / 10 MiB compressed
 *   limits were removed server-side, cloudflare/workers-sdk#14001). Refused
 *   with 10027 "Your Worker exceeded the size limit" (seen: workers-sdk#9101).
 * - Environment variables (plain_text, json, secret_text): 128 per Worker
 *   (Workers Paid) and 5 KB each (docs: workers/platform/limits, the limits
 *   table). The code Cloudflare answers with was not found: 10021 here.
 * - Not checked, no documented number found: the metadata's own size and the
 *   number of modules.
 */
import { CfApiError } from "./errors.js";
import type { LocalBinding } from "./metadata-schema.js";

export const WORKER_SIZE_LIMIT = 64 * 1024 * 1024;
export const ENV_VARIABLE_LIMIT = 128;
export const ENV_VARIABLE_SIZE_LIMIT = 5 * 1024;

const MiB = (n: number) => `${(n / 1024 / 1024).toFixed(2)} MiB`;

/** Refuses modules whose total uncompressed size is over Cloudflare's limit. */
export function checkScriptSize(modules: readonly { name: string; bytes: Uint8Array }[]): void {
  const total = modules.reduce((n, m) => n + m.bytes.byteLength, 0);
  if (total <= WORKER_SIZE_LIMIT) return;
  const largest = [...modules].sort((a, b) => b.bytes.byteLength - a.bytes.byteLength)[0]!;
  throw new CfApiError(
    "script_too_large",
    `Your Worker exceeded the size limit of 64 MiB: its modules total ${MiB(total)} uncompressed ` +
      `(largest: '${largest.name}', ${MiB(largest.bytes.byteLength)})`,
  );
}

/** Refuses more environment variables, or larger ones, than Cloudflare takes. */
export function checkEnvironmentVariables(bindings: readonly LocalBinding[]): void {
  const vars = bindings.filter((b) => b.type === "plain_text" || b.type === "json" || b.type === "secret_text");
  if (vars.length > ENV_VARIABLE_LIMIT) {
    throw new CfApiError(
      "script_invalid",
      `metadata.bindings: ${vars.length} environment variables and secrets; a Worker takes at most ${ENV_VARIABLE_LIMIT}`,
    );
  }
  for (const b of vars) {
    const value = b.type === "json" ? JSON.stringify(b.json) : String(b.text);
    const size = new TextEncoder().encode(value).byteLength;
    if (size > ENV_VARIABLE_SIZE_LIMIT) {
      throw new CfApiError(
        "script_invalid",
        `binding '${b.name}' (${b.type}) is ${size} bytes; an environment variable or secret takes at most 5 KB (${ENV_VARIABLE_SIZE_LIMIT} bytes)`,
      );
    }
  }
}
