/**
 * Which token a control call carries, and what the preview token may do.
 * The preview token (derived from CONTROL_TOKEN, see shared/schema/previews.ts)
 * may call the preview routes, and the app routes only for a slot's name: it
 * can never read, change or delete a production app.
 */
import { PREVIEW_ROUTES, PRODUCTION_ONLY_ROUTES, type RouteName } from "../../shared/control/routes.js";
import { derivePreviewToken, parseSlotName } from "../../shared/schema/index.js";
import { isAuthorized, isControlAuthorized } from "./auth.js";

export type TokenScope = "control" | "preview";

let derivedFrom: string | undefined;
let derived: Promise<string> | undefined;

/**
 * The scope of the request's bearer token, or null when it carries neither
 * token. The control token includes the one before a rotation, during its
 * overlap (auth.ts); the preview token derives from the current one only.
 */
export async function tokenScope(request: Request, env: Env): Promise<TokenScope | null> {
  const controlToken = env.CONTROL_TOKEN ?? "";
  if (derivedFrom !== controlToken || !derived) {
    derivedFrom = controlToken;
    derived = derivePreviewToken(controlToken);
  }
  // Both compared, in constant time each, whichever matches.
  const [control, preview] = await Promise.all([
    isControlAuthorized(request, env),
    derived.then((t) => isAuthorized(request, t)),
  ]);
  return control ? "control" : preview ? "preview" : null;
}

/** Why the preview token may not call this route with these parameters, or null when it may. */
export function previewRefusal(name: RouteName, params: Record<string, string>): string | null {
  if (PREVIEW_ROUTES.includes(name)) return null;
  if (PRODUCTION_ONLY_ROUTES.includes(name)) {
    return `the preview token may not call ${name}: it reaches production apps; use the control token`;
  }
  const app = params.app;
  if (app !== undefined && parseSlotName(app) !== null) return null;
  return `the preview token touches only preview slots (apps named <app>--<preview id>); '${app ?? ""}' is a production app`;
}
