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

/**
 * True for names the host-side stub answers itself (toString, connect,
 * hasOwnProperty, …) rather than forwarding to the app's class: an app may
 * not make the host run those with its arguments.
 */
export function isStubBuiltin(stub: object, name: string): boolean {
  if (name in Object.prototype) return true;
  for (let p = Object.getPrototypeOf(stub); p && p !== Object.prototype; p = Object.getPrototypeOf(p)) {
    if (Object.getOwnPropertyNames(p).includes(name)) return true;
  }
  return Object.getOwnPropertyNames(stub).includes(name);
}
