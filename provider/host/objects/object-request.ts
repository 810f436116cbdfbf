/**
 * How an object's HTTP request travels from the objects entrypoint
 * (data-plane/objects-entrypoint.ts) to its supervisor (app-object.ts):
 * the target the entrypoint computed rides in TARGET_HEADER, and a refusal
 * comes back as an answer the app's stub throws (app-isolate/namespaces.ts).
 */
import { REFUSAL_HEADER } from "../app-isolate/names.js";

/** The supervisor's target, as the objects entrypoint computed it; never taken from the app. */
export const TARGET_HEADER = "x-dw-target";

/** A refused object request. */
export function refusal(e: unknown): Response {
  const message = e instanceof Error ? e.message : String(e);
  return new Response(message, { status: 400, headers: { [REFUSAL_HEADER]: "1", "content-type": "text/plain" } });
}
