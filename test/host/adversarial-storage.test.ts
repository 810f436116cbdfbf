// Adversarial suite, storage: an app that sets out to store more than its
// maxStorageBytes or to hold databases no registry counts. Its module body
// runs before the host's code in its isolate, so it patches globals and the
// host's class before they run: limits must be measured and enforced by the
// host, outside the app's isolate.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import { deploy, deployBystanders, expectBystandersServing, getJson, startHostileHost } from "../helpers/hostile.js";

const QUOTA = 300_000;
/** How long an object must be left alone for the host to have measured it (its quiet delay, and some). */
const SETTLE_MS = 3_500;
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

/**
 * The hostile app. Before the host's code runs it keeps the real
 * `ctx.facets` the host tries to hide, and once constructed it replaces the
 * host's storage method on its own prototype: the guard stays off and the
 * size the isolate reports is 0.
 */
const HOG = `
import { DurableObject } from "cloudflare:workers";
import * as workers from "cloudflare:workers";
const realFacets = new WeakMap();
const define = Object.defineProperty;
Object.defineProperty = function (o, p, d) {
  if (p === "facets" && o && o.storage) realFacets.set(o, o.facets);
  return define(o, p, d);
};
const attempt = async (f) => { try { return await f(); } catch (e) { return "ERR " + e.message; } };
export class Hog extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS b (d BLOB)");
    const proto = Object.getPrototypeOf(this);
    for (const k of Object.getOwnPropertyNames(proto)) {
      if (!k.startsWith("__dw")) continue;
      const host = proto[k];
      proto[k] = function (...args) {
        try { host.call(this, args[0], false); } catch {}
        try { host.call(this, false); } catch {}
        return 0;
      };
    }
  }
  write(kb) {
    for (let i = 0; i < kb / 64; i++) this.ctx.storage.sql.exec("INSERT INTO b VALUES (?)", new Uint8Array(64 * 1024));
    return this.ctx.storage.sql.databaseSize;
  }
  size() { return this.ctx.storage.sql.databaseSize; }
  webSocketMessage(ws, message) {
    for (let i = 0; i < Number(message) / 64; i++) this.ctx.storage.sql.exec("INSERT INTO b VALUES (?)", new Uint8Array(64 * 1024));
    ws.send("wrote " + message);
  }
  async fetch(request) {
    if (request.headers.get("upgrade") === "websocket") {
      const { 0: client, 1: server } = new WebSocketPair();
      this.ctx.acceptWebSocket(server);
      return new Response(null, { status: 101, webSocket: client });
    }
    // Answers at once, then writes from waitUntil after the response; with ?hold, the body never ends.
    const url = new URL(request.url);
    const kb = Number(url.searchParams.get("kb"));
    const hold = url.searchParams.has("hold");
    this.ctx.waitUntil((async () => {
      for (let i = 0; i < kb / 64; i++) {
        try { this.ctx.storage.sql.exec("INSERT INTO b VALUES (?)", new Uint8Array(64 * 1024)); } catch {}
        await scheduler.wait(10);
      }
    })());
    if (!hold) return new Response("later");
    return new Response(new ReadableStream({ async pull(c) { await scheduler.wait(250); c.enqueue(new Uint8Array(1)); } }));
  }
  async nest(n) {
    const facets = realFacets.get(this.ctx) ?? this.ctx.facets;
    let cls;
    try { cls = this.ctx.exports?.Hog; } catch { /* the host's ctx.exports explains itself by throwing */ }
    cls ??= workers.exports?.Hog;
    const out = [];
    for (let i = 0; i < n; i++) {
      out.push(await attempt(() => facets.get("nested" + i, () => ({ class: cls })).write(64)));
    }
    return out;
  }
}
export default { async fetch(request, env) {
  const url = new URL(request.url);
  const o = env.OBJECTS.get(url.searchParams.get("o") ?? "a");
  const op = url.pathname.slice(1);
  const kb = Number(url.searchParams.get("kb") ?? 0);
  if (op === "later") return Response.json({ ok: true, n: await (await o.fetch("http://o/?kb=" + kb)).text() });
  if (op === "hold") return o.fetch("http://o/?hold&kb=" + kb);
  if (op === "ws") return o.fetch(request);
  if (op === "drop") return Response.json({ ok: true, n: await attempt(() => env.OBJECTS.delete(url.searchParams.get("o"))) });
  try { return Response.json({ ok: true, n: await o[op](kb) }); }
  catch (e) { return Response.json({ ok: false, error: String(e.message ?? e) }); }
} };`;

type Answer = { ok: boolean; n?: unknown; error?: string };

let host: TestHost;
beforeAll(async () => {
  host = await startHostileHost();
  await deployBystanders(host);
});
afterAll(() => host?.dispose());

async function hog(app: string, maxObjects = 5): Promise<(path: string) => Promise<Answer>> {
  await deploy(host, app, HOG, { durableObject: "Hog" }, { quota: { maxStorageBytes: QUOTA, maxObjects } });
  return (path) => getJson<Answer>(host, `/apps/${app}/${path}`);
}
const storedBytes = async (app: string) => (await host.control.usage(app)).usage.storedBytes.used;

describe("maxStorageBytes against an app that defeats its in-isolate guard", () => {
  it("measures the real size, whatever the isolate reports, and stops an object that keeps writing", async () => {
    const call = await hog("hog");
    const first = await call("write?kb=640");
    expect(first.ok, first.error).toBe(true);
    await call("size");
    await sleep(SETTLE_MS);
    // The host measured the database itself: the isolate said 0.
    const real = (await call("size")).n as number;
    expect(real).toBeGreaterThan(QUOTA);
    expect(await storedBytes("hog")).toBeGreaterThanOrEqual(real * 0.9);
    // Over quota, the app's own guard is off: the write lands in SQLite, the host sees it grow and stops the object.
    await call("write?kb=256");
    await sleep(SETTLE_MS);
    const stopped = await call("size");
    expect(stopped.ok).toBe(false);
    expect(stopped.error).toMatch(/maxStorageBytes/);
    // Deleting it through the host still works, frees its bytes, and a new object starts clean.
    expect((await call("drop?o=a")).n).toBe(true);
    expect(await storedBytes("hog")).toBe(0);
    const fresh = await call("write?kb=64&o=b");
    expect(fresh.ok, fresh.error).toBe(true);
    await expectBystandersServing(host);
  });

  it("counts writes made from waitUntil after the response", async () => {
    const call = await hog("hog-later");
    expect((await call("later?kb=640")).ok).toBe(true);
    await sleep(SETTLE_MS);
    expect(await storedBytes("hog-later")).toBeGreaterThan(QUOTA);
  });
});

describe("maxStorageBytes against an object that never rests", () => {
  it("measures an object whose one response never ends while it writes", async () => {
    const call = await hog("hog-hold");
    const held = new AbortController();
    const res = await host.fetch("/apps/hog-hold/hold?kb=640", { signal: held.signal });
    const reader = res.body!.getReader();
    try {
      // Bounded: the host measures a busy object at least every 30 s, after 5 s for in-flight work to end.
      let stored = 0;
      for (let i = 0; i < 90 && stored <= QUOTA; i++) {
        await reader.read().catch(() => {});
        stored = await storedBytes("hog-hold");
        if (stored <= QUOTA) await sleep(500);
      }
      expect(stored).toBeGreaterThan(QUOTA);
    } finally {
      held.abort();
    }
    expect((await call("size")).ok).toBe(true);
  }, 90_000);
});

describe("maxStorageBytes against writes made from WebSocket messages", () => {
  it("measures them, without cutting the object's connections", async () => {
    await hog("hog-ws");
    const res = await host.mf.dispatchFetch(new URL("/apps/hog-ws/ws", host.url), {
      headers: { upgrade: "websocket" },
    });
    const ws = res.webSocket!;
    ws.accept();
    const answers: string[] = [];
    ws.addEventListener("message", (e) => answers.push(String(e.data)));
    const answered = async (n: number) => {
      for (let i = 0; i < 100 && answers.length < n; i++) await sleep(100);
      expect(answers).toHaveLength(n);
    };
    try {
      // Messages reach the object's class without a request to the host.
      ws.send("640");
      await answered(1);
      let stored = 0;
      for (let i = 0; i < 60 && stored <= QUOTA; i++) {
        stored = await storedBytes("hog-ws");
        if (stored <= QUOTA) await sleep(500);
      }
      expect(stored).toBeGreaterThan(QUOTA);
      // Measured on a copy: the connection is still there.
      ws.send("0");
      await answered(2);
      expect(answers).toEqual(["wrote 640", "wrote 0"]);
    } finally {
      ws.close(1000, "done");
    }
  }, 60_000);
});

describe("nested databases", () => {
  it("cannot be started by an app that kept the real ctx.facets", async () => {
    const call = await hog("hog-nest", 1);
    const nested = (await call("nest?kb=3")).n as unknown[];
    expect(nested).toHaveLength(3);
    for (const r of nested) expect(r).toMatch(/^ERR /);
    expect((await host.control.getApp("hog-nest"))!.objects).toBe(1);
    await expectBystandersServing(host);
  });
});

describe("the app's own modules", () => {
  // With nodejs_compat, node:fs reads every module of the app's bundle, the host's wrapper too.
  const READER = `
  import { readdirSync, readFileSync } from "node:fs";
  import { DurableObject } from "cloudflare:workers";
  export class Box extends DurableObject {}
  export default { fetch() {
    const out = {};
    for (const n of readdirSync("/bundle")) out[n] = readFileSync("/bundle/" + n, "utf8");
    return Response.json(out);
  } };`;
  it("hold no secret of the host: the wrapper is the same text whatever the control token", async () => {
    await deploy(host, "reader", READER, { durableObject: "Box", compatibilityFlags: ["nodejs_compat"] });
    const modules = await getJson<Record<string, string>>(host, "/apps/reader/");
    expect(Object.keys(modules)).toContain("__dw_main.js");
    // The storage guard's key was an HMAC under the control token: 64 hex digits.
    for (const [name, text] of Object.entries(modules)) expect(text, name).not.toMatch(/[0-9a-f]{64}/);
  });
});
