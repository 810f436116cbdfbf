/**
 * The one HTTP server of the local target. By Host header:
 *   <script>.localhost, <anything>.<script>.localhost  → that script
 *   any other host: /client/v4/…                        → the API
 *                   /_scripts/<script>/…                → that script, as <script>.localhost/…
 *                   anything else                       → the only script, if exactly one
 * The /_scripts/ form is for clients that cannot resolve *.localhost (Node's
 * resolver here does not); the script sees the same URL either way.
 * Script requests are streamed to Miniflare's entry with the Host header
 * (so the URL the script sees) intact and the target named by
 * MF-Route-Override; WebSocket upgrades are piped the same way.
 */
import http, { type IncomingMessage, type ServerResponse } from "node:http";
import net from "node:net";
import type { Duplex } from "node:stream";
import type { Account } from "./account.js";
import { API_PREFIX } from "./api.js";
import type { Runtime } from "./runtime.js";
import { requestLabel } from "./in-flight.js";

/** The largest API request body read (module uploads included). */
const MAX_API_BODY = 100 * 1024 * 1024;
const HOP_BY_HOP = new Set([
  "connection",
  "keep-alive",
  "proxy-connection",
  "proxy-authorization",
  "te",
  "trailer",
  "upgrade",
]);

export interface ServerDeps {
  account: Account;
  runtime: Runtime;
  api: (req: Request) => Promise<Response>;
  /** One line per API call; null: not logged. */
  logCall: ((line: string) => void) | null;
  /** The base URL, for messages. */
  baseUrl: () => string;
}

type Target =
  | { kind: "api" }
  /** `rewrite`: the path and Host the script sees, when they differ from the request's. */
  | { kind: "script"; name: string; rewrite?: { path: string; host: string } }
  | { kind: "none"; message: string; status?: number };

export const SCRIPT_PATH_PREFIX = "/_scripts/";

export function createServer(deps: ServerDeps): http.Server {
  const agents = keepAliveAgents(deps.runtime);
  const server = http.createServer((req, res) => {
    const target = resolveTarget(deps, req);
    if (target.kind === "api") void handleApi(deps, req, res);
    else if (target.kind === "script") void proxyToScript(deps, agents(), req, res, target.name, target.rewrite);
    else text(res, target.status ?? 404, target.message);
  });
  // Keep idle connections longer than clients do (undici: 4 s), so a client never
  // reuses a socket the server is closing at that moment (UND_ERR_SOCKET under load).
  server.keepAliveTimeout = 65_000;
  server.headersTimeout = 66_000;
  server.on("upgrade", (req: IncomingMessage, socket: Duplex, head: Buffer) => proxyUpgrade(deps, req, socket, head));
  return server;
}

/** A keep-alive agent to workerd, replaced when the runtime restarts (its sockets point at the old process). */
function keepAliveAgents(runtime: Runtime): () => http.Agent {
  let agent = new http.Agent({ keepAlive: true });
  let generation = -1;
  return () => {
    if (generation !== runtime.generation) {
      agent.destroy();
      agent = new http.Agent({ keepAlive: true });
      generation = runtime.generation;
    }
    return agent;
  };
}

function noScript(name: string, scripts: string[]): Target {
  return { kind: "none", message: `no script named '${name}' (scripts: ${scripts.join(", ") || "none"})` };
}

/** Where a request goes: see the table at the top of this file. */
function resolveTarget(deps: ServerDeps, req: IncomingMessage): Target {
  const port = /:(\d+)$/.exec(req.headers.host ?? "")?.[1];
  if (port !== undefined && !(Number(port) >= 1 && Number(port) <= 65535)) {
    return {
      kind: "none",
      status: 400,
      message: `the Host header's port (${port.slice(0, 20)}) is not a port (1 to 65535)`,
    };
  }
  const host = (req.headers.host ?? "").replace(/:\d+$/, "").toLowerCase();
  const scripts = Object.keys(deps.account.snapshot().scripts);
  const labels = host.split(".");
  if (labels.length >= 2 && labels[labels.length - 1] === "localhost") {
    const name = labels[labels.length - 2]!;
    return scripts.includes(name) ? { kind: "script", name } : noScript(name, scripts);
  }
  const path = req.url ?? "/";
  if (path.startsWith(SCRIPT_PATH_PREFIX)) {
    const m = /^\/_scripts\/([^/?#]+)(.*)$/.exec(path);
    if (!m) return noScript("", scripts);
    let name: string;
    try {
      name = decodeURIComponent(m[1] ?? "");
    } catch {
      return {
        kind: "none",
        status: 400,
        message: `the script name in the path ('${(m[1] ?? "").slice(0, 100)}') is not valid percent-encoding`,
      };
    }
    if (!scripts.includes(name)) return noScript(name, scripts);
    const rest = m[2] ?? "";
    const port = new URL(deps.baseUrl()).port;
    return {
      kind: "script",
      name,
      rewrite: { path: rest.startsWith("/") ? rest : `/${rest}`, host: `${name}.localhost:${port}` },
    };
  }
  if (path === API_PREFIX || path.startsWith(`${API_PREFIX}/`) || path.startsWith(`${API_PREFIX}?`))
    return { kind: "api" };
  if (scripts.length === 1) return { kind: "script", name: scripts[0]! };
  const base = new URL(deps.baseUrl());
  return {
    kind: "none",
    message: scripts.length
      ? `several scripts run here; ask one by name: ${scripts.map((s) => `http://${s}.localhost:${base.port}/`).join(", ")}`
      : `no script is uploaded yet; upload one through the API at ${deps.baseUrl()}${API_PREFIX}`,
  };
}

async function handleApi(deps: ServerDeps, req: IncomingMessage, res: ServerResponse): Promise<void> {
  const started = performance.now();
  let status = 500;
  try {
    const body = await readBody(req);
    if (body === null) {
      status = 413;
      return text(res, 413, `request body larger than ${MAX_API_BODY} bytes`);
    }
    const method = req.method ?? "GET";
    const request = new Request(`http://${req.headers.host ?? "localhost"}${req.url ?? "/"}`, {
      method,
      headers: webHeaders(req),
      ...(method === "GET" || method === "HEAD" || body.byteLength === 0 ? {} : { body }),
    });
    const response = await deps.api(request);
    status = response.status;
    const payload = Buffer.from(await response.arrayBuffer());
    res.writeHead(response.status, { ...Object.fromEntries(response.headers), "content-length": payload.byteLength });
    res.end(payload);
  } catch (e) {
    text(res, 500, `local target error: ${(e as Error).message}`);
  } finally {
    const path = (req.url ?? "").split("?")[0];
    deps.logCall?.(`${req.method} ${path} ${status} ${Math.round(performance.now() - started)}ms`);
  }
}

type Rewrite = { path: string; host: string };

async function proxyToScript(
  deps: ServerDeps,
  agent: http.Agent,
  req: IncomingMessage,
  res: ServerResponse,
  name: string,
  rewrite?: Rewrite,
): Promise<void> {
  await deps.runtime.idle();
  const entry = deps.runtime.entryUrl();
  if (!entry) return text(res, 503, `script '${name}' is not running`);
  const done = deps.runtime.inFlight.start(
    requestLabel(name, rewrite?.host ?? req.headers.host, rewrite?.path ?? req.url),
  );
  res.once("close", done);
  const upstream = http.request(
    {
      host: entry.hostname,
      port: entry.port,
      method: req.method,
      path: rewrite?.path ?? req.url,
      headers: { ...forwardHeaders(req, name), ...(rewrite ? { host: rewrite.host } : {}) },
      agent,
    },
    (up) => {
      const headers = { ...up.headers };
      for (const h of HOP_BY_HOP) delete headers[h];
      res.writeHead(up.statusCode ?? 502, headers);
      up.pipe(res);
    },
  );
  upstream.on("error", (e) => {
    deps.runtime.inFlight.lost();
    if (!res.headersSent) text(res, 502, `script '${name}' did not answer: ${e.message}`);
    else res.destroy(e);
  });
  req.pipe(upstream);
}

/** A WebSocket upgrade, piped to workerd as raw bytes after the rewritten request head. */
function proxyUpgrade(deps: ServerDeps, req: IncomingMessage, socket: Duplex, head: Buffer): void {
  const target = resolveTarget(deps, req);
  const entry = deps.runtime.entryUrl();
  if (target.kind !== "script" || !entry) {
    socket.end("HTTP/1.1 404 Not Found\r\nconnection: close\r\n\r\n");
    return;
  }
  const upstream = net.connect(Number(entry.port), entry.hostname, () => {
    const headers = {
      ...forwardHeaders(req, target.name, true),
      ...(target.rewrite ? { host: target.rewrite.host } : {}),
    };
    const headerLines = Object.entries(headers).flatMap(([k, v]) =>
      (Array.isArray(v) ? v : [v]).map((x) => `${k}: ${x}`),
    );
    upstream.write(
      `${[`${req.method} ${target.rewrite?.path ?? req.url} HTTP/1.1`, ...headerLines].join("\r\n")}\r\n\r\n`,
    );
    if (head.byteLength) upstream.write(head);
    upstream.pipe(socket);
    socket.pipe(upstream);
  });
  upstream.on("error", () => socket.destroy());
  socket.on("error", () => upstream.destroy());
}

/** The client's headers, minus hop-by-hop ones and any Miniflare control header, plus the target. */
function forwardHeaders(req: IncomingMessage, script: string, upgrade = false): Record<string, string | string[]> {
  const out: Record<string, string | string[]> = {};
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined || k.startsWith("mf-")) continue;
    if (HOP_BY_HOP.has(k) && !(upgrade && (k === "connection" || k === "upgrade"))) continue;
    out[k] = v;
  }
  out["mf-route-override"] = script;
  return out;
}

function webHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [k, v] of Object.entries(req.headers)) {
    if (v === undefined) continue;
    for (const x of Array.isArray(v) ? v : [v]) headers.append(k, x);
  }
  return headers;
}

async function readBody(req: IncomingMessage): Promise<Buffer | null> {
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req) {
    size += (chunk as Buffer).byteLength;
    if (size > MAX_API_BODY) return null;
    chunks.push(chunk as Buffer);
  }
  return Buffer.concat(chunks);
}

function text(res: ServerResponse, status: number, message: string): void {
  if (res.headersSent) return void res.end();
  res.writeHead(status, { "content-type": "text/plain; charset=utf-8" });
  res.end(`${message}\n`);
}
