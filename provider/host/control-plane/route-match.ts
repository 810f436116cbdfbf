/**
 * Dispatch through the shared route table (shared/control/routes.ts): the
 * path is matched there, its parameters, query and body are validated with
 * the table's schemas, then the route's handler answers.
 */
import type { z } from "zod";
import { ControlError } from "../../shared/control/errors.js";
import {
  CONTROL_API_PREFIX,
  CONTROL_ROUTES,
  PATH_PARAMS,
  matchPath,
  type ControlRoute,
  type PathParamName,
  type RouteAnswer,
  type RouteBody,
  type RouteName,
  type RouteParams,
  type RouteQuery,
} from "../../shared/control/routes.js";
import { formatIssues } from "../../shared/schema/index.js";
import { json, readJson } from "../http.js";

/** What a handler of route K is given: path parameters, query and body, already validated. */
export interface Call<K extends RouteName> {
  request: Request;
  env: Env;
  /** The request's context (a handler that runs app code needs its waitUntil and exports). */
  ctx: ExecutionContext;
  url: URL;
  params: RouteParams<K>;
  query: RouteQuery<K>;
  body: RouteBody<K>;
}

/** An answer with a status other than 200. */
export class Reply<T> {
  constructor(
    readonly body: T,
    readonly status: number,
  ) {}
}

/** One handler per route of the table, no more and no fewer. */
export type ControlHandlers = { [K in RouteName]: (c: Call<K>) => Promise<RouteAnswer<K> | Reply<RouteAnswer<K>>> };

/** Validates `value`, or refuses with an `invalid_request` naming each field (under `prefix`). */
export function parse<S extends z.ZodType>(schema: S, value: unknown, prefix = ""): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = formatIssues(r.error, prefix);
    throw new ControlError(
      "invalid_request",
      `invalid ${prefix || "request"}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
      {
        issues,
      },
    );
  }
  return r.data;
}

type AnyCall = Omit<Call<RouteName>, "params" | "query" | "body"> & {
  params: Record<string, string>;
  query: unknown;
  body: unknown;
};

/** Validates in the order a reader expects: path parameters, then the query, then the body. */
async function callOf(
  route: ControlRoute,
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  url: URL,
  raw: Record<string, string>,
): Promise<AnyCall> {
  const params: Record<string, string> = {};
  for (const [k, v] of Object.entries(raw)) {
    const p = PATH_PARAMS[k as PathParamName];
    params[k] = parse(p.schema, v, p.field);
  }
  const query = route.query ? parse(route.query, Object.fromEntries(url.searchParams), "query") : undefined;
  const body = route.body ? parse(route.body, await readJson(request)) : undefined;
  return { request, env, ctx, url, params, query, body };
}

/** Why a caller may not call a route with these (raw) path parameters, or null when it may. */
export type RouteGuard = (name: RouteName, params: Record<string, string>) => string | null;

/**
 * Finds the route of a request and answers it; 405 names the methods a path takes, 404 a path no route has;
 * `guard` refuses a route before anything is validated or read (403).
 */
export async function dispatch(
  request: Request,
  env: Env,
  ctx: ExecutionContext,
  handlers: ControlHandlers,
  guard?: RouteGuard,
): Promise<Response> {
  const url = new URL(request.url);
  // Outside the prefix, "" matches no route (every pattern starts with "/").
  const path = url.pathname.startsWith(CONTROL_API_PREFIX) ? url.pathname.slice(CONTROL_API_PREFIX.length) : "";
  const allowed: string[] = [];
  for (const name of Object.keys(CONTROL_ROUTES) as RouteName[]) {
    const route: ControlRoute = CONTROL_ROUTES[name];
    const raw = matchPath(route.path, path);
    if (!raw) continue;
    if (route.method !== request.method) {
      allowed.push(route.method);
      continue;
    }
    const refused = guard?.(name, raw);
    if (refused) throw new ControlError("forbidden", refused);
    const handler = handlers[name] as unknown as (c: AnyCall) => Promise<unknown>;
    const out = await handler(await callOf(route, request, env, ctx, url, raw));
    return out instanceof Reply ? json(out.body, out.status) : json(out);
  }
  if (allowed.length) {
    throw new ControlError("method_not_allowed", `${request.method} is not allowed here; use ${allowed.join(", ")}`);
  }
  throw new ControlError("not_found", `no control route ${request.method} ${url.pathname}`);
}
