/**
 * Serving an app's static assets from host storage: the version's file
 * table and the files' contents, cached per isolate (both are immutable:
 * a table is keyed by version, a content by its digest), and the responses
 * Workers Static Assets gives (ETag, If-None-Match → 304, HEAD, 307
 * redirects, 405 for other methods on an asset path). Every lookup is in the
 * one app's table, named by the host (the router's route, or the props of
 * the app's ASSETS binding), never by anything in the request.
 */
import type { AssetFile, AssetOptions, VersionAssets } from "../../shared/schema/index.js";
import { appControlStub } from "../env.js";
import { assetIntent, decodePath, encodePath, staticRoute, type Intent } from "./asset-intent.js";

/** A version's assets as the data plane holds them. */
export interface AssetTable {
  options: AssetOptions;
  files: Map<string, AssetFile>;
}

/** Files of all tables kept per isolate (a table of 20,000 files is a few MB). */
const TABLE_FILES_KEPT = 100_000;
const tables = new Map<string, AssetTable | null>();
let tableFiles = 0;

/** Contents kept per isolate, in bytes; a file over CACHE_FILE_MAX is fetched each time. */
const CACHE_BYTES = 32 * 1024 * 1024;
const CACHE_FILE_MAX = 2 * 1024 * 1024;
const contents = new Map<string, Uint8Array>();
let cachedBytes = 0;

export async function assetTable(env: Env, app: string, versionHash: string): Promise<AssetTable | null> {
  const key = `${app}@${versionHash}`;
  const hit = tables.get(key);
  if (hit !== undefined) return hit;
  const a: VersionAssets | null = await appControlStub(env, app).assetTable(versionHash);
  const table = a && {
    options: {
      binding: a.binding,
      htmlHandling: a.htmlHandling,
      notFoundHandling: a.notFoundHandling,
      runWorkerFirst: a.runWorkerFirst,
    },
    files: new Map(Object.entries(a.files)),
  };
  while (tables.size > 0 && (tables.size >= 1000 || tableFiles + (table?.files.size ?? 0) > TABLE_FILES_KEPT)) {
    const [k, oldest] = tables.entries().next().value!;
    tables.delete(k);
    tableFiles -= oldest?.files.size ?? 0;
  }
  tables.set(key, table);
  tableFiles += table?.files.size ?? 0;
  return table;
}

async function content(env: Env, app: string, sha: string): Promise<Uint8Array | null> {
  const key = `${app}:${sha}`;
  const hit = contents.get(key);
  if (hit) return hit;
  const bytes = await appControlStub(env, app).assetContent(sha);
  if (bytes && bytes.byteLength <= CACHE_FILE_MAX) {
    while (cachedBytes + bytes.byteLength > CACHE_BYTES && contents.size) {
      const [k, v] = contents.entries().next().value!;
      contents.delete(k);
      cachedBytes -= v.byteLength;
    }
    contents.set(key, bytes);
    cachedBytes += bytes.byteLength;
  }
  return bytes;
}

/** What the request resolves to in this table: a Response to give, or null when no asset answers it. */
export function assetAnswer(
  url: URL,
  table: AssetTable,
  notFoundHandling: AssetOptions["notFoundHandling"],
): { intent: Intent; path: string } | null {
  const path = decodePath(url.pathname);
  const lookup = (p: string) => table.files.get(p)?.sha256;
  const intent = assetIntent(path, { htmlHandling: table.options.htmlHandling, notFoundHandling }, lookup);
  return intent ? { intent, path } : null;
}

/**
 * The response for an answer of assetAnswer. `prefix`: what the browser's
 * path has before the app's own (a path route's `/apps/<app>`), for redirects.
 */
export async function assetResponse(
  env: Env,
  app: string,
  request: Request,
  url: URL,
  table: AssetTable,
  answer: { intent: Intent; path: string },
  prefix = "",
): Promise<Response> {
  const method = request.method.toUpperCase();
  if (method !== "GET" && method !== "HEAD")
    return new Response(null, { status: 405, statusText: "Method Not Allowed" });
  const { intent, path } = answer;
  const to = "redirect" in intent ? intent.redirect : path;
  const encoded = encodePath(to);
  if ("redirect" in intent || encoded !== url.pathname) {
    return new Response(null, { status: 307, headers: { location: `${prefix}${encoded}${url.search}` } });
  }
  const file = table.files.get(intent.serve)!;
  const headers = new Headers({ etag: `"${file.sha256}"` });
  if (file.contentType !== null) headers.set("content-type", file.contentType);
  if (!request.headers.has("authorization") && !request.headers.has("range"))
    headers.set("cache-control", "public, max-age=0, must-revalidate");
  const ifNoneMatch = request.headers.get("if-none-match");
  if (ifNoneMatch === `"${file.sha256}"` || ifNoneMatch === `W/"${file.sha256}"`) {
    return new Response(null, { status: 304, headers });
  }
  if (method === "HEAD") {
    headers.set("content-length", String(file.size));
    return new Response(null, { status: intent.status, headers });
  }
  const bytes = await content(env, app, file.sha256);
  if (!bytes) return new Response("asset content missing on the host", { status: 500 });
  return new Response(bytes, { status: intent.status, headers });
}

/**
 * Whether the router answers from assets before the app's code, and with
 * which not_found_handling: as Cloudflare's asset router does with a user
 * Worker. null: the app's code runs.
 */
export function routerNotFound(
  request: Request,
  url: URL,
  options: AssetOptions,
  navigation: boolean,
): { first: "assets" | "check"; notFound: AssetOptions["notFoundHandling"] } | null {
  if (options.runWorkerFirst === true) return null;
  if (Array.isArray(options.runWorkerFirst) && options.runWorkerFirst.length > 0) {
    const r = staticRoute(url.pathname, options.runWorkerFirst);
    if (r === "worker") return null;
    return { first: r === "assets" ? "assets" : "check", notFound: options.notFoundHandling };
  }
  const navigating = navigation && request.headers.get("sec-fetch-mode") === "navigate";
  return { first: "check", notFound: navigating ? options.notFoundHandling : "none" };
}

/** The router's answer from the app's assets before its code runs, or null when the code should answer. */
export async function serveAssetsFirst(
  request: Request,
  env: Env,
  route: { app: string; url: string | null; prefix?: string },
  resolved: { app: string; versionHash: string; assets?: AssetOptions & { navigation: boolean } },
): Promise<Response | null> {
  if (!resolved.assets) return null;
  const url = new URL(route.url ?? request.url);
  const decision = routerNotFound(request, url, resolved.assets, resolved.assets.navigation);
  if (!decision) return null;
  const table = await assetTable(env, resolved.app, resolved.versionHash);
  if (!table) return null;
  const answer = assetAnswer(url, table, decision.notFound);
  if (!answer) return decision.first === "assets" ? new Response(null, { status: 404 }) : null;
  return assetResponse(env, resolved.app, request, url, table, answer, route.prefix ?? "");
}
