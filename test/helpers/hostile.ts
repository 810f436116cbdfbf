/**
 * Shared pieces of the adversarial suite (test/host/adversarial-*.test.ts):
 * a host with hostname routing, well-behaved bystander apps that every
 * attack must leave serving, raw control calls that skip the client's own
 * validation, and a local TCP listener that counts what reaches it.
 */
import { request as httpRequest } from "node:http";
import { createServer, type Socket } from "node:net";
import { expect } from "vitest";
import type { AppVersionSpecInput } from "../../provider/shared/schema/index.js";
import { TOKEN, jsApp, startHost, type TestHost } from "./host.js";

export { TOKEN, jsApp };

export const APPS_DOMAIN = "apps.test";

/** The real host on workerd, routing `<app>.apps.test`, with no version cache so settings apply at once. */
export function startHostileHost(): Promise<TestHost> {
  return startHost({ config: { appsDomain: APPS_DOMAIN, cacheTtlSeconds: 0 } });
}

/**
 * Module-body code that takes the raw env, with the host's own OBJECTS
 * binding, from the host's wrapper before the wrapper runs, as a determined
 * app can (the wrapper looks each raw env up in a WeakMap). `rawEnvOf()`
 * gives it from the first request on. Attacks on the binding use it.
 */
export const STEAL_RAW_ENV = `
const __stolenEnvs = [];
const __weakMapGet = WeakMap.prototype.get;
WeakMap.prototype.get = function (k) {
  if (k && typeof k === "object" && k.OBJECTS && typeof k.OBJECTS.objectCall === "function") __stolenEnvs.push(k);
  return __weakMapGet.call(this, k);
};
const rawEnvOf = () => __stolenEnvs[0];`;

/** A stateless bystander and a bystander with a Durable Object that counts. */
const GOOD = `export default { fetch(request) { return new Response("good:" + new URL(request.url).pathname); } };`;
const GOOD_COUNTER = `
import { DurableObject } from "cloudflare:workers";
export class Tally extends DurableObject {
  bump() {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (n INTEGER)");
    this.ctx.storage.sql.exec("INSERT INTO t VALUES (1)");
    return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM t").one().n;
  }
}
export default { async fetch(request, env) { return new Response("tally=" + (await env.OBJECTS.get("t").bump())); } };`;

export async function deployBystanders(host: TestHost): Promise<void> {
  await host.control.rollOut("good", jsApp(GOOD));
  await host.control.rollOut("good-tally", jsApp(GOOD_COUNTER, { durableObject: "Tally" }));
}

/** Asserts the bystanders still answer, by path and by hostname, and their object keeps counting. */
export async function expectBystandersServing(host: TestHost): Promise<void> {
  const byPath = await get(host, "/apps/good/ping");
  expect(byPath).toEqual({ status: 200, text: "good:/ping" });
  const byName = await host.mf.dispatchFetch(`http://good.${APPS_DOMAIN}/pong`, {
    signal: AbortSignal.timeout(15_000),
  });
  expect(await byName.text()).toBe("good:/pong");
  const before = Number((await get(host, "/apps/good-tally/")).text.split("=")[1]);
  const after = await get(host, "/apps/good-tally/");
  expect(after).toEqual({ status: 200, text: `tally=${before + 1}` });
}

/** A GET (or any method) through the host's real HTTP port, bounded in time. */
export async function get(
  host: TestHost,
  path: string,
  init: RequestInit = {},
): Promise<{ status: number; text: string }> {
  const res = await host.fetch(path, { signal: AbortSignal.timeout(30_000), ...init });
  return { status: res.status, text: await res.text() };
}

/** The JSON an app answered with, after checking it answered 200. */
export async function getJson<T = Record<string, unknown>>(
  host: TestHost,
  path: string,
  init: RequestInit = {},
): Promise<T> {
  const { status, text } = await get(host, path, init);
  expect(status, text).toBe(200);
  return JSON.parse(text) as T;
}

/** Deploys a one-module app. */
export function deploy(
  host: TestHost,
  app: string,
  source: string,
  extra: Partial<AppVersionSpecInput> = {},
  settings: Parameters<TestHost["control"]["rollOut"]>[2] = {},
): Promise<unknown> {
  return host.control.rollOut(app, { ...jsApp(source), ...extra }, settings);
}

/** A control call with the real token and a raw JSON body (the client's own validation skipped). */
export async function controlRaw(
  host: TestHost,
  method: string,
  path: string,
  body?: string,
): Promise<{ status: number; json: any }> {
  const res = await host.fetch(`/_control/v1${path}`, {
    method,
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
    body,
    signal: AbortSignal.timeout(30_000),
  });
  const text = await res.text();
  return { status: res.status, json: text ? JSON.parse(text) : null };
}

/**
 * Creates the app and uploads a version body as given (raw JSON text, so keys
 * such as `__proto__` survive), then deploys it when the host took it.
 */
export async function uploadRaw(
  host: TestHost,
  app: string,
  versionJson: string,
): Promise<{ status: number; json: any }> {
  const put = await controlRaw(host, "PUT", `/apps/${app}`, "{}");
  expect(put.status, JSON.stringify(put.json)).toBeLessThan(300);
  const v = await controlRaw(host, "POST", `/apps/${app}/versions`, versionJson);
  if (v.status >= 300) return v;
  const current = put.json.app.currentVersion ?? null;
  const d = await controlRaw(
    host,
    "POST",
    `/apps/${app}/deploy`,
    JSON.stringify({ versionHash: v.json.versionHash, expectedCurrent: current }),
  );
  expect(d.status, JSON.stringify(d.json)).toBe(200);
  return v;
}

/** The field paths of a control refusal. */
export function issuePaths(body: any): string[] {
  return ((body?.error?.issues ?? []) as { path: string }[]).map((i) => i.path);
}

/** A TCP listener on 127.0.0.1 that counts connections (and so any HTTP request) reaching it. */
export async function startListener(): Promise<{ port: number; connections(): number; close(): Promise<void> }> {
  let connections = 0;
  const sockets = new Set<Socket>();
  const server = createServer((s) => {
    connections++;
    sockets.add(s);
    s.on("close", () => sockets.delete(s));
    s.end("HTTP/1.1 200 OK\r\ncontent-length: 7\r\nconnection: close\r\n\r\nreached");
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const port = (server.address() as { port: number }).port;
  return {
    port,
    connections: () => connections,
    close: () =>
      new Promise<void>((resolve) => {
        for (const s of sockets) s.destroy();
        server.close(() => resolve());
      }),
  };
}

/** An HTTP/1.1 request to the host's port with a Host header of our choosing (fetch() may not set one). */
export function rawHttp(
  host: TestHost,
  path: string,
  hostHeader: string,
  headers: Record<string, string | string[]> = {},
): Promise<{ status: number; text: string }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      {
        host: "127.0.0.1",
        port: Number(host.url.port),
        path,
        headers: { ...headers, host: hostHeader },
        timeout: 15_000,
      },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("timeout", () => req.destroy(new Error("timed out")));
    req.on("error", reject);
    req.end();
  });
}

/** A marker no other app's code or data contains. */
export function secret(tag: string): string {
  return `${tag}-${crypto.randomUUID()}`;
}
