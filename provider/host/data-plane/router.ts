/**
 * host/data-plane/: serving apps: router.ts (this file), version-cache.ts, rate-limit.ts, worker-code.ts
 * (loading an app's code), and the entrypoints the host hands apps (egress, logs, objects).
 *
 * The data plane: finds the app a request is for, by hostname
 * (`<app>.<appsDomain>`) or by path (`/apps/<app>/…`, prefix stripped), and
 * hands it to that app's isolate. Paths under /_control/ never reach an app.
 */
import { RoutedAppName } from "../../shared/schema/index.js";
import { errorResponse } from "../http.js";
import { appControlStub } from "../env.js";
import { admit, admitNow } from "./rate-limit.js";
import { cachedApp, resolveApp } from "./version-cache.js";
import type { ResolvedApp } from "../objects/app-types.js";
import { cachedLoadPlan, loadAppWorker } from "./worker-code.js";
import { confineResponse } from "./browser-isolation.js";
import { serveAssetsFirst } from "./assets.js";
import { countServed, requestVersion } from "./rollout-split.js";

export interface AppRoute {
  app: string;
  /** The URL the app sees: its own root; null when it is the request's own URL. */
  url: string | null;
  /** On a path route, the path prefix the browser sees for the app (`/apps/<name as in the URL>`). */
  prefix?: string;
  /** Set when the request names no app it could be for (a malformed name): why, for a 400. */
  refusal?: string;
}

const PATH_ROUTE = /^\/apps\/([^/]+)(\/.*)?$/;

/** Which app a URL is for, or null when it is for the host itself. */
export function routeApp(url: URL, appsDomain: string | undefined): AppRoute | null {
  if (appsDomain) {
    const host = url.hostname.toLowerCase().replace(/\.$/, "");
    if (host.endsWith(`.${appsDomain}`)) return { app: host.slice(0, -(appsDomain.length + 1)), url: null };
  }
  const m = PATH_ROUTE.exec(url.pathname);
  if (!m) return null;
  let app: string;
  try {
    app = decodeURIComponent(m[1]!);
  } catch {
    return {
      app: "",
      url: null,
      refusal: `the app name in the path ('${m[1]!.slice(0, 100)}') is not valid percent-encoding`,
    };
  }
  // The pathname is already normalized and encoded, so its tail is a valid path as it is.
  return { app, url: `${url.origin}${m[2] ?? "/"}${url.search}`, prefix: `/apps/${m[1]!}` };
}

/**
 * A warm request (app cached, slice not spent) goes straight to the app's
 * isolate: no Durable Object call, no validation beyond the cache lookup
 * (only valid names are cached).
 */
export function serveApp(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  route: AppRoute,
): Promise<Response> | Response {
  if (route.refusal !== undefined) return errorResponse({ code: "invalid_request", message: route.refusal });
  const resolved = cachedApp(route.app);
  if (resolved === undefined) return resolveThenServe(request, env, ctx, route);
  if (resolved === null) return notDeployed(route.app);
  if (admitNow(env, ctx, route.app)) return forward(request, env, ctx, route, resolved);
  return admitThenServe(request, env, ctx, route, resolved);
}

function notDeployed(app: string): Response {
  return errorResponse({ code: "not_found", message: `no app named '${app}' is deployed` });
}

async function resolveThenServe(request: Request, env: Env, ctx: ExecutionContext, route: AppRoute): Promise<Response> {
  if (!RoutedAppName.safeParse(route.app).success) {
    return errorResponse({ code: "not_found", message: "no such app" });
  }
  const resolved = await resolveApp(env, route.app);
  if (!resolved) return notDeployed(route.app);
  return admitThenServe(request, env, ctx, route, resolved);
}

async function admitThenServe(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  route: AppRoute,
  resolved: ResolvedApp,
): Promise<Response> {
  const admission = await admit(env, ctx, resolved);
  if (!admission.ok) {
    return errorResponse(
      {
        code: "rate_limited",
        message: `app '${route.app}' is over its quota of ${admission.limit} requests per minute; retry after ${admission.retryAfterSeconds} s`,
      },
      { "retry-after": String(admission.retryAfterSeconds) },
    );
  }
  return forward(request, env, ctx, route, resolved);
}

async function forward(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  route: AppRoute,
  resolved: ResolvedApp,
): Promise<Response> {
  // Under a rollout, the version this request goes to (rollout-split.ts); else the current one.
  const served = resolved.rollout ? requestVersion(resolved, request) : resolved;
  const fromAssets = served.assets && (await serveAssetsFirst(request, env, route, served));
  if (fromAssets) return fromAssets;
  // The app's cpuMs and subRequests limits go with the call, so a limits change loads nothing new.
  const plan = cachedLoadPlan(served);
  const entry = loadAppWorker(env, ctx.exports, served, plan.id).getEntrypoint(undefined, plan.options);
  try {
    const res = await entry.fetch(route.url === null ? request : new Request(route.url, request));
    if (resolved.rollout) countServed(env, ctx, resolved, served, res.status >= 500);
    return confineResponse(res, route.prefix ?? null);
  } catch (e) {
    if (resolved.rollout) countServed(env, ctx, resolved, served, true);
    const requestId = crypto.randomUUID();
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    ctx.waitUntil(
      appControlStub(env, route.app)
        .recordError(requestId, message, served.versionHash)
        .catch(() => {}),
    );
    return errorResponse({
      code: "app_error",
      message: `app '${route.app}' failed to handle the request; its errors are at /_control/v1/apps/${route.app}/errors`,
      requestId,
    });
  }
}
