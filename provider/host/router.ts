/**
 * The data plane: finds the app a request is for, by hostname
 * (`<app>.<appsDomain>`) or by path (`/apps/<app>/…`, prefix stripped), and
 * hands it to that app's isolate. Paths under /_control/ never reach an app.
 */
import { AppName } from "../schema.js";
import { errorResponse } from "./http.js";
import { appControlStub, type Env } from "./env.js";
import { admit } from "./rate-limit.js";
import { resolveApp } from "./version-cache.js";
import { appLimits, loadAppWorker } from "./worker-code.js";

export interface AppRoute {
  app: string;
  /** The URL the app sees: its own root. */
  url: URL;
}

const PATH_ROUTE = /^\/apps\/([^/]+)(\/.*)?$/;

/** Which app a URL is for, or null when it is for the host itself. */
export function routeApp(url: URL, appsDomain: string | undefined): AppRoute | null {
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (appsDomain && host.endsWith(`.${appsDomain}`)) {
    const label = host.slice(0, -(appsDomain.length + 1));
    return { app: label, url };
  }
  const m = PATH_ROUTE.exec(url.pathname);
  if (!m) return null;
  const inner = new URL(url);
  inner.pathname = m[2] ?? "/";
  return { app: decodeURIComponent(m[1]!), url: inner };
}

export async function serveApp(request: Request, env: Env, ctx: ExecutionContext, route: AppRoute): Promise<Response> {
  if (!AppName.safeParse(route.app).success) {
    return errorResponse({ code: "not_found", message: "no such app" });
  }
  const resolved = await resolveApp(env, route.app);
  if (!resolved) return errorResponse({ code: "not_found", message: `no app named '${route.app}' is deployed` });
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
  const worker = loadAppWorker(env, ctx.exports, resolved);
  const entry = worker.getEntrypoint(undefined, { limits: appLimits(resolved) });
  try {
    return await entry.fetch(new Request(route.url, request));
  } catch (e) {
    const requestId = crypto.randomUUID();
    const message = e instanceof Error ? `${e.name}: ${e.message}` : String(e);
    ctx.waitUntil(
      appControlStub(env, route.app)
        .recordError(requestId, message)
        .catch(() => {}),
    );
    return errorResponse({
      code: "app_error",
      message: `app '${route.app}' failed to handle the request; its errors are at /_control/v1/apps/${route.app}/errors`,
      requestId,
    });
  }
}

