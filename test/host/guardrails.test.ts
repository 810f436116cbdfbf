// Guardrails on the real host: egress policy, requestsPerMinute, usage and logs.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsApp, startHost, type TestHost } from "../helpers/host.js";

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ config: { cacheTtlSeconds: 0 } });
});
afterAll(() => host?.dispose());

/** An app that fetches ?url= and answers with what happened. */
const FETCHER = jsApp(`export default {
  async fetch(request) {
    const target = new URL(request.url).searchParams.get("url");
    try {
      const res = await fetch(target, { redirect: "manual" });
      return Response.json({ ok: true, status: res.status });
    } catch (e) {
      return Response.json({ ok: false, error: String(e && e.message || e) });
    }
  },
};`);

const tryFetch = async (app: string, url: string) =>
  (await (await host.fetch(`/apps/${app}/?url=${encodeURIComponent(url)}`)).json()) as { ok: boolean; error?: string };

async function eventually<T>(read: () => Promise<T>, done: (v: T) => boolean, ms = 10_000): Promise<T> {
  const deadline = Date.now() + ms;
  let v = await read();
  while (!done(v) && Date.now() < deadline) {
    await new Promise((r) => setTimeout(r, 100));
    v = await read();
  }
  return v;
}

describe("egress", () => {
  it('blocks every request with outbound "none"', async () => {
    await host.control.rollOut("closed", FETCHER);
    for (const url of ["https://example.com/", `http://127.0.0.1:${host.url.port}/`, "https://1.1.1.1/"]) {
      const r = await tryFetch("closed", url);
      expect(r.ok, url).toBe(false);
      expect(r.error, url).toBeTruthy();
    }
  });

  it("refuses hosts off the allow-list with the platform's reason, and lets allowed ones through", async () => {
    await host.control.rollOut("open", FETCHER, { outbound: { allow: ["allowed.invalid", "*.example.invalid"] } });
    for (const [url, reason] of [
      ["https://evil.invalid/", /not on the app's outbound allow-list/],
      ["http://allowed.invalid/", /only https/],
      ["https://allowed.invalid:8443/", /default port/],
      ["https://allowed.invalid@evil.invalid/", /allow-list|user info/],
      ["https://127.0.0.1/", /IP addresses/],
      ["https://ALLOWED.invalid.evil.invalid/", /allow-list/],
    ] as const) {
      const r = await tryFetch("open", url);
      expect(r.ok, url).toBe(false);
      expect(r.error, url).toMatch(/refused by the platform/);
      expect(r.error, url).toMatch(reason);
    }
    // Allowed: the request leaves the platform (and fails only because .invalid does not resolve).
    for (const url of ["https://allowed.invalid/x", "https://ALLOWED.INVALID./", "https://a.example.invalid/"]) {
      const r = await tryFetch("open", url);
      expect(r.error ?? "", url).not.toMatch(/refused by the platform/);
    }
    const usage = (await host.control.usage("open")).usage;
    expect(usage.outbound.allow).toEqual(["allowed.invalid", "*.example.invalid"]);
    const counted = await eventually(
      async () => (await host.control.usage("open")).usage.outbound.total,
      (n) => n >= 3,
    );
    expect(counted).toBe(3);
  });

  it("an outbound change takes effect without a new code version", async () => {
    await host.control.putApp("open", { outbound: "none" });
    const r = await tryFetch("open", "https://allowed.invalid/");
    expect(r.error ?? "").not.toMatch(/refused by the platform/);
    expect(r.ok).toBe(false);
    await host.control.putApp("open", { outbound: { allow: ["other.invalid"] } });
    expect((await tryFetch("open", "https://allowed.invalid/")).error).toMatch(/refused by the platform.*allow-list/);
  });
});

describe("requestsPerMinute", () => {
  it("admits the quota and answers the rest with 429 and Retry-After, across parallel connections", async () => {
    await host.control.rollOut("limited", jsApp("export default { fetch() { return new Response('ok'); } };"), {
      quota: { requestsPerMinute: 40 },
    });
    const statuses: number[] = [];
    let retryAfter = "";
    await Promise.all(
      Array.from({ length: 8 }, async () => {
        for (let i = 0; i < 10; i++) {
          const res = await host.fetch("/apps/limited/");
          statuses.push(res.status);
          if (res.status === 429) retryAfter = res.headers.get("retry-after") ?? "";
          await res.arrayBuffer();
        }
      }),
    );
    const ok = statuses.filter((s) => s === 200).length;
    // One minute window; a request can straddle two windows, so allow one window boundary.
    expect(ok === 40 || ok === 80 || (ok > 40 && ok <= 80)).toBe(true);
    expect(statuses.filter((s) => s !== 200 && s !== 429)).toEqual([]);
    if (ok < 80) {
      expect(Number(retryAfter)).toBeGreaterThanOrEqual(1);
      expect(Number(retryAfter)).toBeLessThanOrEqual(60);
    }
    const usage = await eventually(
      async () => (await host.control.usage("limited")).usage,
      (u) => u.requests.total >= ok,
      12_000,
    );
    expect(usage.requests.total).toBe(ok);
    expect(usage.requests.limitPerMinute).toBe(40);
  });

  it("a quota change takes effect without a new code version", async () => {
    await host.control.rollOut("relimit", jsApp("export default { fetch() { return new Response('ok'); } };"), {
      quota: { requestsPerMinute: 1 },
    });
    await host.fetch("/apps/relimit/");
    const before = await host.fetch("/apps/relimit/");
    // At most one more from a minute boundary; then the limit holds.
    const third = before.status === 200 ? await host.fetch("/apps/relimit/") : before;
    expect(third.status).toBe(429);
    await host.control.putApp("relimit", { quota: { requestsPerMinute: 1000 } });
    const after = await eventually(
      async () => (await host.fetch("/apps/relimit/")).status,
      (s) => s === 200,
      65_000,
    );
    expect(after).toBe(200);
  }, 90_000);
});

describe("usage and logs", () => {
  it("keeps the app's console lines and uncaught exceptions, newest first", async () => {
    await host.control.rollOut(
      "chatty",
      jsApp(`export default { fetch(request) {
        const n = new URL(request.url).searchParams.get("n");
        console.log("hello", n, { k: 1 });
        console.warn("careful");
        if (n === "boom") throw new Error("kaboom");
        return new Response("ok");
      } };`),
      { logs: true },
    );
    await host.fetch("/apps/chatty/?n=1");
    await host.fetch("/apps/chatty/?n=boom");
    const logs = await eventually(
      async () => (await host.control.logs("chatty")).logs,
      (l) => l.length >= 5,
    );
    const lines = logs.map((l) => `${l.level} ${l.message}`);
    expect(lines).toEqual(expect.arrayContaining(['log hello 1 {"k":1}', "warn careful", "exception Error: kaboom"]));
    const usage = await eventually(
      async () => (await host.control.usage("chatty")).usage,
      (u) => u.errors >= 1,
    );
    expect(usage.errors).toBe(1);
    expect(usage.objects).toEqual({ count: 0, limit: 100, byClass: {} });
  });

  it("keeps what an object's methods log, and an object's failure as the handler's exception", async () => {
    await host.control.rollOut(
      "chatty-objects",
      jsApp(
        `import { DurableObject } from "cloudflare:workers";
        export class Room extends DurableObject {
          say(n) { console.info("room says", n); return n; }
          fail() { throw new RangeError("room broke"); }
        }
        export default { async fetch(request, env) {
          const op = new URL(request.url).pathname.slice(1);
          return new Response(String(await env.OBJECTS.get("r")[op](7)));
        } };`,
        { durableObject: "Room" },
      ),
      { logs: true },
    );
    expect(await (await host.fetch("/apps/chatty-objects/say")).text()).toBe("7");
    expect((await host.fetch("/apps/chatty-objects/fail")).status).toBe(500);
    const logs = await eventually(
      async () => (await host.control.logs("chatty-objects")).logs,
      (l) => l.length >= 2,
    );
    expect(logs.map((l) => `${l.level} ${l.message}`)).toEqual(
      expect.arrayContaining(["info room says 7", "exception RangeError: room broke"]),
    );
  });

  it("does not record a client that went away as the app's exception", async () => {
    await host.control.rollOut(
      "slow",
      jsApp(`export default { async fetch() {
        console.log("start");
        await scheduler.wait(300);
        console.log("end");
        return new Response("ok");
      } };`),
      { logs: true },
    );
    const aborted = new AbortController();
    const gone = host.fetch("/apps/slow/", { signal: aborted.signal }).then(
      () => "answered",
      () => "aborted",
    );
    setTimeout(() => aborted.abort(), 50);
    expect(await gone).toBe("aborted");
    const logs = await eventually(
      async () => (await host.control.logs("slow")).logs,
      (l) => l.some((x) => x.message === "end"),
    );
    expect(logs.map((l) => l.message)).toEqual(expect.arrayContaining(["start", "end"]));
    expect(logs.filter((l) => l.level === "exception")).toEqual([]);
    expect((await host.control.usage("slow")).usage.errors).toBe(0);
  });

  it("answers 404 for the usage and logs of an unknown app", async () => {
    await expect(host.control.usage("nobody")).rejects.toMatchObject({ status: 404 });
    await expect(host.control.logs("nobody")).rejects.toMatchObject({ status: 404 });
  });
});

describe("maxStorageBytes", () => {
  const STORE = jsApp(
    `import { DurableObject } from "cloudflare:workers";
    export class Store extends DurableObject {
      constructor(ctx, env) { super(ctx, env); ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS blobs (id INTEGER PRIMARY KEY, data BLOB)"); }
      write(kb) { this.ctx.storage.sql.exec("INSERT INTO blobs (data) VALUES (?)", new Uint8Array(kb * 1024)); return this.count(); }
      count() { return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM blobs").one().n; }
      clear() { this.ctx.storage.sql.exec("DELETE FROM blobs"); return this.count(); }
      size() { return this.ctx.storage.sql.databaseSize; }
      unlock() { return this.__dw_storage(false); }
      sneaky() { this.ctx.storage.sql.exec("/* hi */ INSERT INTO blobs (data) VALUES (?)", new Uint8Array(1024)); return this.count(); }
    }
    export default { async fetch(request, env) {
      const url = new URL(request.url);
      const o = env.OBJECTS.get(url.searchParams.get("o") ?? "a");
      try {
        const op = url.pathname.slice(1);
        if (op === "drop") return Response.json({ ok: await env.OBJECTS.delete(url.searchParams.get("o")) });
        return Response.json({ ok: true, n: await o[op](Number(url.searchParams.get("kb") ?? 0)) });
      } catch (e) { return Response.json({ ok: false, error: String(e.message ?? e) }); }
    } };`,
    { durableObject: "Store" },
  );
  const call = async (path: string) =>
    (await (await host.fetch(`/apps/stored/${path}`)).json()) as { ok: boolean; n?: number; error?: string };

  it("refuses writes once the app is over its quota, keeps reads and deletes, and writes again when usage falls", async () => {
    await host.control.rollOut("stored", STORE, { quota: { maxStorageBytes: 400_000 } });
    let refused: { ok: boolean; error?: string } | undefined;
    let written = 0;
    // Bounded: 40 writes of 50 KB is 5x the quota.
    for (let i = 0; i < 40 && !refused; i++) {
      const r = await call(`write?kb=50&o=${i % 2 ? "a" : "b"}`);
      if (r.ok) written++;
      else refused = r;
      await new Promise((res) => setTimeout(res, 150));
    }
    expect(refused?.error).toMatch(/over its maxStorageBytes quota/);
    expect(written * 50 * 1024).toBeGreaterThan(400_000 * 0.5);
    const usage = (await host.control.usage("stored")).usage;
    expect(usage.storedBytes.limit).toBe(400_000);
    expect(usage.storedBytes.used).toBeGreaterThan(400_000);
    // How far past the quota it got: the writes between two measurements.
    expect(usage.storedBytes.used).toBeLessThan(400_000 * 2);
    // Reads keep working; a write hidden behind a comment is refused too.
    expect((await call("count?o=a")).ok).toBe(true);
    expect((await call("sneaky?o=a")).error).toMatch(/over its maxStorageBytes quota/);
    // An object that turns its own guard off writes once; the host measures it grown and stops it.
    expect((await call("count?o=c")).ok).toBe(true);
    expect((await call("unlock?o=c")).ok).toBe(true);
    expect((await call("write?kb=200&o=c")).ok).toBe(true);
    await new Promise((res) => setTimeout(res, 3_500));
    expect((await call("count?o=c")).error).toMatch(/is stopped: it kept writing while app 'stored' was over/);
    expect((await call("drop?o=c")).ok).toBe(true);
    // Deleting brings usage down, and writes come back.
    const cleared = await call("clear?o=a");
    expect(cleared.ok, cleared.error).toBe(true);
    expect((await call("clear?o=b")).ok).toBe(true);
    await new Promise((res) => setTimeout(res, 700));
    await call("count?o=a");
    await call("count?o=b");
    const again = await (async () => {
      for (let i = 0; i < 20; i++) {
        const r = await call("write?kb=1&o=a");
        if (r.ok) return r;
        await new Promise((res) => setTimeout(res, 300));
      }
      return { ok: false };
    })();
    expect(again.ok).toBe(true);
  });

  it("raising the quota lets writes through again", async () => {
    await host.control.rollOut("stored2", STORE, { quota: { maxStorageBytes: 100_000 } });
    const call2 = async (path: string) =>
      (await (await host.fetch(`/apps/stored2/${path}`)).json()) as { ok: boolean; error?: string };
    let refused = false;
    for (let i = 0; i < 30 && !refused; i++) {
      refused = !(await call2("write?kb=40")).ok;
      await new Promise((res) => setTimeout(res, 150));
    }
    expect(refused).toBe(true);
    await host.control.putApp("stored2", { quota: { maxStorageBytes: 100_000_000 } });
    let ok = false;
    for (let i = 0; i < 20 && !ok; i++) {
      ok = (await call2("write?kb=1")).ok;
      if (!ok) await new Promise((res) => setTimeout(res, 300));
    }
    expect(ok).toBe(true);
  });
});
