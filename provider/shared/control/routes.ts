/**
 * shared/control/: the control API contract: routes.ts (this file), requests.ts, responses.ts, errors.ts.
 *
 * The control API's route table: every route once, with its method, path
 * pattern, the schemas of its body and query, and the type of its answer.
 * The host registers one handler per route name (host/control-plane/), and
 * the client calls through the table (control-client/), so a route is
 * written in one place. Runs in Node and in workerd.
 */
import type { z } from "zod";
import {
  AppName,
  AppSettingsInput,
  AppVersionSpec,
  AssetUploadRequest,
  MissingAssetsRequest,
  RolloutRequest,
  PreviewId,
  RoutedAppName,
  Sha256,
  VersionSourcesRequest,
} from "../schema/index.js";
import {
  DeleteQuery,
  DeployRequest,
  ListQuery,
  MissingModulesRequest,
  ModuleChunkQuery,
  RollbackRequest,
  ScheduledRequest,
  VersionQuery,
} from "./requests.js";
import { ControlError } from "./errors.js";
import type * as A from "./responses.js";
import type * as P from "./preview-responses.js";

/** Every route's path is under this prefix. */
export const CONTROL_API_PREFIX = "/_control/v1";

export type HttpMethod = "GET" | "PUT" | "POST" | "DELETE";

/** How each path parameter is validated, and the field its issues name. */
export const PATH_PARAMS = {
  // A production app's name or a preview slot's: putApp and deleteApp refuse slots (previews make them).
  app: { schema: RoutedAppName, field: "app" },
  hash: { schema: Sha256, field: "versionHash" },
  sha256: { schema: Sha256, field: "sha256" },
  preview: { schema: PreviewId, field: "preview" },
  previewApp: { schema: AppName, field: "app" },
} as const;
export type PathParamName = keyof typeof PATH_PARAMS;

/** The `:name` parameters of a path pattern. */
export type ParamNames<P extends string> = P extends `${string}:${infer K}/${infer Rest}`
  ? K | ParamNames<`/${Rest}`>
  : P extends `${string}:${infer K}`
    ? K
    : never;

export interface ControlRoute<
  P extends string = string,
  B extends z.ZodType | undefined = z.ZodType | undefined,
  Q extends z.ZodType | undefined = z.ZodType | undefined,
  R = unknown,
> {
  method: HttpMethod;
  /** Under CONTROL_API_PREFIX; `:name` segments are path parameters (see PATH_PARAMS). */
  path: P;
  /** The JSON body's schema; a route without one takes no body. */
  body?: B;
  /** The query's schema, over the query parameters as strings. */
  query?: Q;
  /** Type only, never set: what a 2xx answer's JSON holds. */
  readonly answer?: R;
}

/** Declares a route answering `R`; a path parameter without a PATH_PARAMS entry fails typecheck. */
function route<R>() {
  return <
    const P extends string,
    B extends z.ZodType | undefined = undefined,
    Q extends z.ZodType | undefined = undefined,
  >(
    spec: { method: HttpMethod; path: P; body?: B; query?: Q } & ([ParamNames<P>] extends [PathParamName]
      ? unknown
      : never),
  ): ControlRoute<P, B, Q, R> => spec;
}

export const CONTROL_ROUTES = {
  getPlatform: route<A.PlatformAnswer>()({ method: "GET", path: "/platform" }),
  listApps: route<A.AppList>()({ method: "GET", path: "/apps", query: ListQuery }),
  putApp: route<A.AppAnswer>()({ method: "PUT", path: "/apps/:app", body: AppSettingsInput }),
  getApp: route<A.AppAnswer>()({ method: "GET", path: "/apps/:app" }),
  deleteApp: route<A.DeleteOutcome>()({ method: "DELETE", path: "/apps/:app", query: DeleteQuery }),
  missingModules: route<A.MissingModules>()({
    method: "POST",
    path: "/apps/:app/modules/missing",
    body: MissingModulesRequest,
  }),
  missingAssets: route<A.MissingModules>()({
    method: "POST",
    path: "/apps/:app/assets/missing",
    body: MissingAssetsRequest,
  }),
  putAssets: route<A.AssetsStored>()({ method: "POST", path: "/apps/:app/assets", body: AssetUploadRequest }),
  /** Raw bytes, at most MODULE_CHUNK_BYTES: a piece of a module or source file (no JSON body). */
  putModuleChunk: route<A.ModuleChunkStored>()({
    method: "PUT",
    path: "/apps/:app/modules/:sha256",
    query: ModuleChunkQuery,
  }),
  putVersion: route<A.VersionStored>()({ method: "POST", path: "/apps/:app/versions", body: AppVersionSpec }),
  listVersions: route<A.VersionList>()({ method: "GET", path: "/apps/:app/versions" }),
  getVersion: route<A.VersionAnswer>()({ method: "GET", path: "/apps/:app/versions/:hash", query: VersionQuery }),
  putSources: route<A.SourcesStored>()({
    method: "PUT",
    path: "/apps/:app/versions/:hash/sources",
    body: VersionSourcesRequest,
  }),
  getSources: route<A.VersionSources>()({ method: "GET", path: "/apps/:app/versions/:hash/sources" }),
  deploy: route<A.DeployOutcome>()({ method: "POST", path: "/apps/:app/deploy", body: DeployRequest }),
  rollback: route<A.DeployOutcome>()({ method: "POST", path: "/apps/:app/rollback", body: RollbackRequest }),
  rollout: route<A.RolloutOutcome>()({ method: "POST", path: "/apps/:app/rollout", body: RolloutRequest }),
  errors: route<A.AppErrors>()({ method: "GET", path: "/apps/:app/errors" }),
  usage: route<A.UsageAnswer>()({ method: "GET", path: "/apps/:app/usage" }),
  logs: route<A.LogsAnswer>()({ method: "GET", path: "/apps/:app/logs" }),
  // Preview slots (see schema/previews.ts): the preview token may call these, and the app routes above for slots.
  listPreviews: route<P.PreviewList>()({ method: "GET", path: "/previews" }),
  putPreviewApp: route<P.PreviewSlotAnswer>()({
    method: "PUT",
    path: "/previews/:preview/apps/:previewApp",
    body: AppSettingsInput,
  }),
  seedPreviewApp: route<P.SeedOutcome>()({ method: "POST", path: "/previews/:preview/apps/:previewApp/seed" }),
  deletePreview: route<P.PreviewDeleted>()({ method: "DELETE", path: "/previews/:preview" }),
  runScheduled: route<A.ScheduledRunAnswer>()({ method: "POST", path: "/apps/:app/scheduled", body: ScheduledRequest }),
};

/** The routes a preview token may call for any name; the others only with a slot's name as `:app`. */
export const PREVIEW_ROUTES: readonly RouteName[] = [
  "listPreviews",
  "putPreviewApp",
  "seedPreviewApp",
  "deletePreview",
];
/** App routes a preview token may never call, even for a slot (slots are made and removed through the preview routes). */
export const PRODUCTION_ONLY_ROUTES: readonly RouteName[] = ["getPlatform", "listApps", "putApp", "deleteApp"];

export type RouteName = keyof typeof CONTROL_ROUTES;
type RouteOf<K extends RouteName> = (typeof CONTROL_ROUTES)[K];
type SchemaOut<S> = S extends z.ZodType ? z.output<S> : undefined;

export type RouteParams<K extends RouteName> = Record<ParamNames<RouteOf<K>["path"]>, string>;
export type RouteBody<K extends RouteName> = RouteOf<K> extends ControlRoute<string, infer B> ? SchemaOut<B> : never;
export type RouteQuery<K extends RouteName> =
  RouteOf<K> extends ControlRoute<string, z.ZodType | undefined, infer Q> ? SchemaOut<Q> : never;
export type RouteAnswer<K extends RouteName> =
  RouteOf<K> extends ControlRoute<string, z.ZodType | undefined, z.ZodType | undefined, infer R> ? R : never;

/** What a caller gives to call route K: path parameters, body and query, each where the route has them. */
export type RouteArgs<K extends RouteName> = ([ParamNames<RouteOf<K>["path"]>] extends [never]
  ? { params?: undefined }
  : { params: RouteParams<K> }) &
  (RouteOf<K> extends ControlRoute<string, infer B>
    ? B extends z.ZodType
      ? { body: z.input<B> }
      : { body?: undefined }
    : never) &
  (RouteOf<K> extends ControlRoute<string, z.ZodType | undefined, infer Q>
    ? Q extends z.ZodType
      ? { query?: z.input<Q> }
      : { query?: undefined }
    : never);

/** A route's path (without CONTROL_API_PREFIX) with its parameters URI-encoded, and the query's defined values. */
export function routePath(
  pattern: string,
  params: Record<string, string> = {},
  query: Record<string, unknown> = {},
): string {
  const path = pattern.replace(/:(\w+)/g, (_, k: string) => {
    const v = params[k];
    if (v === undefined) throw new Error(`${pattern}: no value for path parameter '${k}'`);
    return encodeURIComponent(v);
  });
  const q = new URLSearchParams();
  for (const [k, v] of Object.entries(query)) if (v !== undefined) q.set(k, String(v));
  return q.size ? `${path}?${q}` : path;
}

const patterns = new Map<string, { re: RegExp; keys: string[] }>();

/** Matches a path (without CONTROL_API_PREFIX) against a route's pattern: its decoded parameters, or null. */
export function matchPath(pattern: string, path: string): Record<string, string> | null {
  let compiled = patterns.get(pattern);
  if (!compiled) {
    const keys: string[] = [];
    const re = new RegExp(
      `^${pattern.replace(/:(\w+)/g, (_, k: string) => {
        keys.push(k);
        return "([^/]+)";
      })}$`,
    );
    patterns.set(pattern, (compiled = { re, keys }));
  }
  const { re, keys } = compiled;
  const m = re.exec(path);
  if (!m) return null;
  const params: Record<string, string> = {};
  for (const [i, k] of keys.entries()) {
    try {
      params[k] = decodeURIComponent(m[i + 1]!);
    } catch {
      const field = PATH_PARAMS[k as PathParamName]?.field ?? k;
      throw new ControlError("invalid_request", `invalid path: ${field}: is not valid percent-encoding`, {
        issues: [{ path: field, message: "is not valid percent-encoding" }],
      });
    }
  }
  return params;
}
