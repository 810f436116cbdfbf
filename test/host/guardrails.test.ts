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
    const counted = await eventually(async () => (await host.control.usage("open")).usage.outbound.total, (n) => n >= 3);
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
    await host.control.rollOut("limited", jsApp("export default { fetch() { return new Response('ok'); } };"), { quota: { requestsPerMinute: 40 } });
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
    const usage = await eventually(async () => (await host.control.usage("limited")).usage, (u) => u.requests.total >= ok, 12_000);
    expect(usage.requests.total).toBe(ok);
    expect(usage.requests.limitPerMinute).toBe(40);
  });

  it("a quota change takes effect without a new code version", async () => {
    await host.control.rollOut("relimit", jsApp("export default { fetch() { return new Response('ok'); } };"), { quota: { requestsPerMinute: 1 } });
    await host.fetch("/apps/relimit/");
    const before = await host.fetch("/apps/relimit/");
    // At most one more from a minute boundary; then the limit holds.
    const third = before.status === 200 ? await host.fetch("/apps/relimit/") : before;
    expect(third.status).toBe(429);
    await host.control.putApp("relimit", { quota: { requestsPerMinute: 1000 } });
    const after = await eventually(async () => (await host.fetch("/apps/relimit/")).status, (s) => s === 200, 65_000);
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
    );
    await host.fetch("/apps/chatty/?n=1");
    await host.fetch("/apps/chatty/?n=boom");
    const logs = await eventually(async () => (await host.control.logs("chatty")).logs, (l) => l.length >= 5);
    const lines = logs.map((l) => `${l.level} ${l.message}`);
    expect(lines).toEqual(expect.arrayContaining(['log hello 1 {"k":1}', "warn careful", "exception Error: kaboom"]));
    const usage = await eventually(async () => (await host.control.usage("chatty")).usage, (u) => u.errors >= 1);
    expect(usage.errors).toBe(1);
    expect(usage.objects).toEqual({ count: 0, limit: 100 });
  });

  it("answers 404 for the usage and logs of an unknown app", async () => {
    await expect(host.control.usage("nobody")).rejects.toMatchObject({ status: 404 });
    await expect(host.control.logs("nobody")).rejects.toMatchObject({ status: 404 });
  });
});
