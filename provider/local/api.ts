/**
 * The Cloudflare REST API subset this project calls, under /client/v4, as
 * one table of routes (paths as the `cloudflare` SDK's .js files build
 * them). Web Request in, Web Response out, Cloudflare's envelope on both
 * success and refusal; a route that is not here is refused by name.
 */
import type { Account } from "./account.js";
import { CfApiError, envelope, type Envelope } from "./errors.js";
import {
  namespaceItem,
  scriptListItem,
  scriptSetting,
  scriptSettings,
  scriptUploaded,
  subdomainOf,
} from "./responses.js";
import { readUpload } from "./upload.js";
import { getSchedules, putSchedules } from "./schedules.js";

export const API_PREFIX = "/client/v4";

type Params = Record<string, string>;
type Handler = (req: Request, params: Params, url: URL) => Promise<Envelope<unknown> | Response>;

interface Route {
  method: string;
  segments: string[];
  handler: Handler;
}

const SCRIPT = "/accounts/:account_id/workers/scripts/:script_name";
const route = (method: string, pattern: string, handler: Handler): Route => ({
  method,
  segments: pattern.split("/").filter(Boolean),
  handler,
});

/** The routes served, in the order they are matched. */
function apiRoutes(account: Account): Route[] {
  const active = async () => envelope({ id: "local", status: "active" });
  return [
    route("GET", "/user/tokens/verify", active),
    route("GET", "/accounts/:account_id/tokens/verify", active),
    route("GET", "/accounts/:account_id/workers/scripts", async () =>
      envelope(Object.values(account.snapshot().scripts).sort(byCreation).map(scriptListItem)),
    ),
    route("PUT", SCRIPT, async (req, p) => {
      const { script: s, startupMs } = await account.upload(p.script_name!, await readUpload(req));
      return envelope(scriptUploaded(s, startupMs));
    }),
    route("GET", SCRIPT, async (_req, p) => scriptContent(account, p.script_name!)),
    route("DELETE", SCRIPT, async (_req, p, url) => {
      await account.remove(p.script_name!, url.searchParams.get("force") === "true");
      return envelope(null);
    }),
    route("GET", `${SCRIPT}/settings`, async (_req, p) =>
      envelope(scriptSettings(account.script(p.script_name!), account.snapshot().namespaces)),
    ),
    route("GET", `${SCRIPT}/script-settings`, async (_req, p) =>
      envelope(scriptSetting(account.script(p.script_name!))),
    ),
    route("GET", `${SCRIPT}/subdomain`, async (_req, p) => envelope(subdomainOf(account.script(p.script_name!)))),
    route("POST", `${SCRIPT}/subdomain`, async (req, p) => setSubdomain(account, p.script_name!, await jsonBody(req))),
    route("DELETE", `${SCRIPT}/subdomain`, async (_req, p) =>
      envelope(subdomainOf(await account.setSubdomain(p.script_name!, false, false))),
    ),
    route("GET", `${SCRIPT}/schedules`, async (_req, p) => getSchedules(account, p.script_name!)),
    route("PUT", `${SCRIPT}/schedules`, async (req, p) =>
      putSchedules(account, p.script_name!, await req.json().catch(() => null)),
    ),
    route("GET", "/accounts/:account_id/workers/subdomain", async () =>
      envelope({ subdomain: account.snapshot().accountSubdomain }),
    ),
    route("GET", "/accounts/:account_id/workers/durable_objects/namespaces", async (_req, _p, url) =>
      listNamespaces(account, url),
    ),
  ];
}

export function createApi(account: Account): (req: Request) => Promise<Response> {
  const routes = apiRoutes(account);
  return async (req) => {
    const url = new URL(req.url);
    const path = url.pathname.slice(API_PREFIX.length) || "/";
    try {
      checkAuth(req);
      for (const r of routes) {
        if (r.method !== req.method) continue;
        const params = match(r.segments, path);
        if (params) {
          const out = await r.handler(req, params, url);
          return out instanceof Response ? out : Response.json(out);
        }
      }
      throw new CfApiError(
        "no_route",
        `No route for that URI: ${req.method} ${API_PREFIX}${path} is not served by the dynamic-workers local target`,
      );
    } catch (e) {
      const error =
        e instanceof CfApiError ? e : new CfApiError("internal", `the local target failed: ${(e as Error).message}`);
      return Response.json(error.body(), { status: error.status });
    }
  };
}

async function setSubdomain(account: Account, name: string, body: Record<string, unknown>): Promise<Envelope<unknown>> {
  if (typeof body.enabled !== "boolean") throw new CfApiError("bad_request", "body.enabled: expected a boolean");
  if (body.previews_enabled !== undefined && typeof body.previews_enabled !== "boolean") {
    throw new CfApiError("bad_request", "body.previews_enabled: expected a boolean");
  }
  return envelope(
    subdomainOf(
      await account.setSubdomain(name, body.enabled, (body.previews_enabled as boolean | undefined) ?? body.enabled),
    ),
  );
}

function listNamespaces(account: Account, url: URL): Envelope<unknown> {
  const all = [...account.snapshot().namespaces].sort(byCreation);
  const page = positiveInt(url, "page", 1);
  const perPage = Math.min(positiveInt(url, "per_page", 20), 1000);
  const items = all.slice((page - 1) * perPage, page * perPage).map(namespaceItem);
  return envelope(items, {
    page,
    per_page: perPage,
    count: items.length,
    total_count: all.length,
    total_pages: Math.ceil(all.length / perPage),
  });
}

/** Any non-empty token is accepted locally; a missing one is refused as Cloudflare refuses it. */
function checkAuth(req: Request): void {
  const authorization = req.headers.get("authorization");
  if (authorization === null) {
    if (req.headers.get("x-auth-key") && req.headers.get("x-auth-email")) return;
    throw new CfApiError("missing_auth", "Missing X-Auth-Key, X-Auth-Email or Authorization headers");
  }
  if (!/^Bearer\s+\S+/i.test(authorization)) {
    throw new CfApiError("invalid_headers", "Invalid request headers", [
      { code: 6111, message: "Invalid format for Authorization header" },
    ]);
  }
}

function match(segments: string[], path: string): Params | null {
  const parts = path.split("/").filter(Boolean);
  if (parts.length !== segments.length) return null;
  const params: Params = {};
  for (let i = 0; i < parts.length; i++) {
    const seg = segments[i]!;
    let part: string;
    try {
      part = decodeURIComponent(parts[i]!);
    } catch {
      return null;
    }
    if (seg.startsWith(":")) params[seg.slice(1)] = part;
    else if (seg !== part) return null;
  }
  return params;
}

async function jsonBody(req: Request): Promise<Record<string, unknown>> {
  try {
    const body: unknown = await req.json();
    if (body && typeof body === "object" && !Array.isArray(body)) return body as Record<string, unknown>;
  } catch {
    // answered below
  }
  throw new CfApiError("bad_request", "the request body must be a JSON object");
}

function positiveInt(url: URL, name: string, fallback: number): number {
  const raw = url.searchParams.get(name);
  if (raw === null) return fallback;
  const n = Number(raw);
  if (!Number.isInteger(n) || n < 1)
    throw new CfApiError("bad_request", `${name}: expected a positive integer, got '${raw}'`);
  return n;
}

const byCreation = (a: { createdOn: string; name: string }, b: { createdOn: string; name: string }) =>
  a.createdOn.localeCompare(b.createdOn) || a.name.localeCompare(b.name);

/** GET a script: its modules as multipart/form-data, as Cloudflare answers for a modules Worker. */
function scriptContent(account: Account, name: string): Response {
  const s = account.script(name);
  const form = new FormData();
  for (const m of s.modules) {
    const bytes = account.store.readModule(m.sha256);
    form.append(m.name, new File([new Uint8Array(bytes)], m.name, { type: m.contentType }));
  }
  return new Response(form);
}
