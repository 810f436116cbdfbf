// Adversarial suite, network: an app's outbound is blocked (globalOutbound:
// null), so fetch(), sockets and the host's own control API are out of reach
// from inside an app; /_control/ on an app's hostname is the control plane
// and wants the token. Each hostile app must fail and leave others serving.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import {
  APPS_DOMAIN,
  TOKEN,
  deploy,
  deployBystanders,
  expectBystandersServing,
  get,
  getJson,
  startHostileHost,
  startListener,
  STEAL_RAW_ENV,
} from "../helpers/hostile.js";

let host: TestHost;
let listener: Awaited<ReturnType<typeof startListener>>;
beforeAll(async () => {
  host = await startHostileHost();
  listener = await startListener();
  await deployBystanders(host);
});
afterAll(async () => {
  await listener?.close();
  await host?.dispose();
});
afterEach(async () => {
  await expectBystandersServing(host);
});

/** An app that tries each target with fetch() and answers what happened, per target. */
function fetcher(targets: Record<string, { url: string; init?: RequestInit }>): string {
  return `
export default {
  async fetch() {
    const out = {};
    for (const [k, t] of Object.entries(${JSON.stringify(targets)})) {
      try {
        const r = await fetch(t.url, t.init);
        out[k] = "REACHED " + r.status + " " + (await r.text()).slice(0, 300);
      } catch (e) {
        out[k] = "FAILED " + e.message;
      }
    }
    return Response.json(out);
  },
};`;
}

const BLOCKED = /^FAILED .*not permitted to access the internet/;

describe("outbound fetch()", () => {
  it("fails with a clear error for the internet, by name and by IP", async () => {
    await deploy(
      host,
      "net-internet",
      fetcher({
        https: { url: "https://example.com/" },
        http: { url: "http://example.com/" },
        ip: { url: "http://1.1.1.1/" },
        metadata: { url: "http://169.254.169.254/latest/meta-data/" },
      }),
    );
    const out = await getJson<Record<string, string>>(host, "/apps/net-internet/");
    for (const v of Object.values(out)) expect(v).toMatch(BLOCKED);
  });

  it("fails for 127.0.0.1, localhost and ::1, and nothing reaches a local listener", async () => {
    const p = listener.port;
    const before = listener.connections();
    await deploy(
      host,
      "net-loopback",
      fetcher({
        v4: { url: `http://127.0.0.1:${p}/` },
        name: { url: `http://localhost:${p}/` },
        v6: { url: `http://[::1]:${p}/` },
        decimal: { url: `http://2130706433:${p}/` },
        post: { url: `http://127.0.0.1:${p}/x`, init: { method: "POST", body: "exfiltrate" } },
      }),
    );
    const out = await getJson<Record<string, string>>(host, "/apps/net-loopback/");
    for (const v of Object.values(out)) expect(v).toMatch(BLOCKED);
    await new Promise((r) => setTimeout(r, 200));
    expect(listener.connections()).toBe(before);
  });

  it("fails for the host's own URL, even with the real control token, and changes nothing", async () => {
    const base = host.url.toString().replace(/\/$/, "");
    const auth = { authorization: `Bearer ${TOKEN}` };
    await deploy(
      host,
      "net-self",
      fetcher({
        list: { url: `${base}/_control/v1/apps`, init: { headers: auth } },
        create: { url: `${base}/_control/v1/apps/pwned`, init: { method: "PUT", headers: auth, body: "{}" } },
        guessed: { url: `${base}/_control/v1/apps`, init: { headers: { authorization: "Bearer guess" } } },
        app: { url: `${base}/apps/good/` },
        byName: { url: `http://good.${APPS_DOMAIN}/` },
      }),
    );
    const out = await getJson<Record<string, string>>(host, "/apps/net-self/");
    for (const v of Object.values(out)) expect(v).toMatch(BLOCKED);
    expect(await host.control.getApp("pwned")).toBeNull();
  });

  it("blocks TCP sockets from cloudflare:sockets too", async () => {
    const before = listener.connections();
    await deploy(
      host,
      "net-socket",
      `import { connect } from "cloudflare:sockets";
      export default {
        async fetch() {
          try {
            const s = connect({ hostname: "127.0.0.1", port: ${listener.port} });
            await s.opened;
            const w = s.writable.getWriter();
            await w.write(new TextEncoder().encode("GET / HTTP/1.0\\r\\n\\r\\n"));
            const { value } = await s.readable.getReader().read();
            return new Response("REACHED " + new TextDecoder().decode(value));
          } catch (e) {
            return new Response("FAILED " + e.message);
          }
        },
      };`,
    );
    expect((await get(host, "/apps/net-socket/")).text).toMatch(BLOCKED);
    await new Promise((r) => setTimeout(r, 200));
    expect(listener.connections()).toBe(before);
  });

  it("gives no Cache API, so caches.default is no channel between apps", async () => {
    const src = (value: string) => `export default {
      async fetch() {
        try {
          const key = "https://shared.example/k";
          const hit = await caches.default.match(key);
          await caches.default.put(key, new Response(${JSON.stringify(value)}, { headers: { "cache-control": "max-age=600" } }));
          return new Response("CACHE " + (hit ? await hit.text() : "miss"));
        } catch (e) {
          return new Response("FAILED " + e.message);
        }
      },
    };`;
    await deploy(host, "net-cache-a", src("from-a"));
    await deploy(host, "net-cache-b", src("from-b"));
    const a = await get(host, "/apps/net-cache-a/");
    const b = await get(host, "/apps/net-cache-b/");
    expect(a.text).toMatch(
      /^FAILED the Cache API is not offered to apps: one cache for the whole platform would let one app read or poison another's entries/,
    );
    expect(b.text).not.toContain("from-a");
  });
});

describe("the control API from inside an app", () => {
  it("is not behind the OBJECTS binding: the raw binding's fetch() reaches only the app's own objects", async () => {
    await deploy(
      host,
      "ctl-binding",
      `${STEAL_RAW_ENV}
      export default {
        async fetch(request, wrappedEnv) {
          const out = {};
          for (const [k, api] of [["raw", rawEnvOf().OBJECTS], ["wrapped", wrappedEnv.OBJECTS]]) {
            try {
              const r = await api.fetch("http://host/_control/v1/apps", { headers: { authorization: "Bearer ${TOKEN}" } });
              out[k] = "REACHED " + r.status + " " + (await r.text()).slice(0, 300);
            } catch (e) {
              out[k] = "FAILED " + e.message;
            }
          }
          return Response.json(out);
        },
      };`,
    );
    const out = await getJson<Record<string, string>>(host, "/apps/ctl-binding/");
    // The binding's fetch() serves object requests only: without an object's headers it is refused.
    expect(out.raw).toMatch(/^REACHED 400 no Durable Object binding of app 'ctl-binding' has class "null"/);
    // The friendly env.OBJECTS has get() and delete() only.
    expect(out.wrapped).toMatch(/^FAILED .*not a function/);
  });

  it("answers /_control/ on an app's hostname from the control plane, never the app, and wants the token", async () => {
    await deploy(host, "ctl-host", `export default { fetch() { return new Response("APP-CODE-RAN"); } };`);
    const at = (auth?: string) =>
      host.mf.dispatchFetch(`http://ctl-host.${APPS_DOMAIN}/_control/v1/apps`, {
        headers: auth ? { authorization: auth } : {},
        signal: AbortSignal.timeout(15_000),
      });
    for (const auth of [
      undefined,
      "Bearer guess",
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Bearer ${TOKEN}x`,
      `Basic ${btoa(`x:${TOKEN}`)}`,
      `bearer  ${TOKEN}`,
    ]) {
      const res = await at(auth);
      expect(res.status).toBe(401);
      const text = await res.text();
      expect(text).toContain("unauthorized");
      expect(text).not.toContain("APP-CODE-RAN");
    }
    // The same path under /apps/<app>/ is the app's own path: the app answers, not the control plane.
    const inner = await get(host, "/apps/ctl-host/_control/v1/apps", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(inner).toEqual({ status: 200, text: "APP-CODE-RAN" });
    // With the real token the control plane answers on any hostname (documented: it is path-routed).
    const ok = await at(`Bearer ${TOKEN}`);
    expect(ok.status).toBe(200);
    expect(((await ok.json()) as { apps: { name: string }[] }).apps.map((a) => a.name)).toContain("ctl-host");
  });

  it("keeps path tricks toward /_control/ inside the app or behind the token", async () => {
    await deploy(
      host,
      "ctl-path",
      `export default { fetch(r) { return new Response("APP:" + new URL(r.url).pathname); } };`,
    );
    // Dot segments are resolved before routing: this is the control plane, and it wants the token.
    const dots = await host.mf.dispatchFetch(`http://ctl-path.${APPS_DOMAIN}/apps/x/../../_control/v1/apps`);
    expect(dots.status).toBe(401);
    // Encoded separators are not decoded into the path: the app gets them as its own path.
    const enc = await get(host, "/apps/ctl-path/..%2F..%2F_control/v1/apps");
    expect(enc).toEqual({ status: 200, text: "APP:/..%2F..%2F_control/v1/apps" });
    const encPrefix = await get(host, "/%5Fcontrol/v1/apps");
    expect(encPrefix.status).toBe(200);
    expect(encPrefix.text).toContain("dynamic-workers host");
    expect(encPrefix.text).not.toContain("ctl-path");
  });
});
