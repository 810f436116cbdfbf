// Uploaded scripts run on workerd: by hostname, at the bare address when
// alone, with their bindings; a re-upload swaps the code and keeps the
// Durable Object data; parallel API calls all land.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScriptMetadata } from "../../provider/cloudflare/metadata.js";
import { ACCOUNT, DATE, esm, hostRequest, startTarget, upload, type Started } from "./helpers.js";

const ENV_ECHO = (tag: string) => `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  hit() {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (n INTEGER)");
    this.ctx.storage.sql.exec("INSERT INTO hits VALUES (1)");
    return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM hits").one().n;
  }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/hit") return new Response(String(await env.COUNTER.get(env.COUNTER.idFromName("main")).hit()));
    if (url.pathname === "/load") {
      const worker = env.LOADER.load({ compatibilityDate: "${DATE}", mainModule: "m.js", modules: { "m.js": "export default { fetch() { return new Response('dynamic'); } };" } });
      return worker.getEntrypoint().fetch(request);
    }
    return Response.json({
      tag: ${JSON.stringify(tag)}, url: request.url, host: request.headers.get("host"),
      text: env.TEXT, secret: env.SECRET, json: env.JSON, loader: typeof env.LOADER?.get,
      mf: [...request.headers.keys()].filter((k) => k.startsWith("mf-")),
    });
  },
};`;

const META = (extra: Partial<ScriptMetadata> = {}): ScriptMetadata => ({
  main_module: "index.js",
  compatibility_date: DATE,
  bindings: [
    { type: "worker_loader", name: "LOADER" },
    { type: "durable_object_namespace", name: "COUNTER", class_name: "Counter" },
    { type: "secret_text", name: "SECRET", text: "s" },
    { type: "plain_text", name: "TEXT", text: "t" },
    { type: "json", name: "JSON", json: { n: [1, 2] } },
  ],
  ...extra,
});

let t: Started;
beforeAll(async () => {
  t = await startTarget({ quiet: true });
});
afterAll(() => t?.stop());

describe("serving", () => {
  it("says so when no script is uploaded", async () => {
    const res = await hostRequest(t.target, "127.0.0.1");
    expect(res.status).toBe(404);
    expect(res.text).toMatch(/no script is uploaded yet/);
  });

  it("runs a script with its bindings at <script>.localhost and, alone, at the bare address", async () => {
    await upload(
      t.cf,
      "web",
      META({ migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: ["Counter"] }] } }),
      esm(ENV_ECHO("v1")),
    );
    expect(t.logs).toContain(`script web: ${t.target.scriptUrl("web")}`);
    const byName = await hostRequest(t.target, "web.localhost", "/a?b=1");
    expect(byName.status).toBe(200);
    const port = new URL(t.target.url).port;
    expect(JSON.parse(byName.text)).toEqual({
      tag: "v1",
      url: `http://web.localhost:${port}/a?b=1`,
      host: `web.localhost:${port}`,
      text: "t",
      secret: "s",
      json: { n: [1, 2] },
      loader: "function",
      mf: [],
    });
    const bare = await fetch(`${t.target.url}/x`);
    expect(((await bare.json()) as { tag: string }).tag).toBe("v1");
    expect(await (await fetch(`${t.target.url}/load`)).text()).toBe("dynamic");
  });

  it("sends <anything>.<script>.localhost to the script with the Host header intact, and strips mf-* headers", async () => {
    const res = await hostRequest(t.target, "todo.web.localhost", "/p", {
      headers: { "MF-Route-Override": "other", "MF-Original-URL": "http://evil/" },
    });
    const body = JSON.parse(res.text) as { host: string; url: string; mf: string[] };
    expect(body.host).toMatch(/^todo\.web\.localhost:/);
    expect(body.url).toMatch(/^http:\/\/todo\.web\.localhost:\d+\/p$/);
    expect(body.mf).toEqual([]);
  });

  it("answers 404 for an unknown script name and, with several scripts, at the bare address", async () => {
    expect((await hostRequest(t.target, "nobody.localhost")).status).toBe(404);
    await upload(
      t.cf,
      "web2",
      META({ migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: ["Counter"] }] } }),
      esm(ENV_ECHO("w2")),
    );
    const bare = await hostRequest(t.target, "127.0.0.1");
    expect(bare.status).toBe(404);
    expect(bare.text).toContain("http://web.localhost:");
    expect(JSON.parse((await hostRequest(t.target, "web2.localhost")).text).tag).toBe("w2");
    // The API still answers at the bare address.
    expect((await t.cf.workers.scripts.list({ account_id: ACCOUNT })).result.length).toBe(2);
  });

  it("serves /_scripts/<script>/… as <script>.localhost/…, for clients that cannot resolve *.localhost", async () => {
    const port = new URL(t.target.url).port;
    const res = await fetch(`${t.target.url}/_scripts/web2/a/b?c=1`);
    expect(JSON.parse(await res.text())).toMatchObject({
      tag: "w2",
      url: `http://web2.localhost:${port}/a/b?c=1`,
      host: `web2.localhost:${port}`,
    });
    expect(JSON.parse(await (await fetch(`${t.target.url}/_scripts/web2`)).text()).url).toBe(
      `http://web2.localhost:${port}/`,
    );
    const unknown = await fetch(`${t.target.url}/_scripts/nobody/`);
    expect(unknown.status).toBe(404);
    expect(await unknown.text()).toMatch(/no script named 'nobody'/);
  });

  it("swaps a re-uploaded script without losing its Durable Object data", async () => {
    expect((await hostRequest(t.target, "web.localhost", "/hit")).text).toBe("1");
    expect((await hostRequest(t.target, "web.localhost", "/hit")).text).toBe("2");
    await upload(t.cf, "web", META(), esm(ENV_ECHO("v2")));
    expect(JSON.parse((await hostRequest(t.target, "web.localhost")).text).tag).toBe("v2");
    expect((await hostRequest(t.target, "web.localhost", "/hit")).text).toBe("3");
    // The other script's objects are its own.
    expect((await hostRequest(t.target, "web2.localhost", "/hit")).text).toBe("1");
  });

  it("streams request and response bodies through", async () => {
    await upload(
      t.cf,
      "echo",
      { main_module: "index.js", compatibility_date: DATE },
      esm(
        "export default { async fetch(r) { return new Response(r.body, { headers: { 'x-len': r.headers.get('content-length') ?? 'none' } }); } };",
      ),
    );
    const big = "x".repeat(3_000_000);
    const res = await hostRequest(t.target, "echo.localhost", "/", { method: "POST", body: big });
    expect(res.text.length).toBe(big.length);
  });
});

describe("concurrency", () => {
  it("takes 10 parallel uploads and list calls, all consistent", async () => {
    const names = Array.from({ length: 10 }, (_, i) => `par-${i}`);
    const results = await Promise.all([
      ...names.map((n) =>
        upload(
          t.cf,
          n,
          { main_module: "index.js", compatibility_date: DATE },
          esm(`export default { fetch() { return new Response(${JSON.stringify(n)}); } };`),
        ),
      ),
      ...names.map(() => t.cf.workers.scripts.list({ account_id: ACCOUNT })),
    ]);
    expect(results.slice(0, 10).map((r) => (r as { id: string }).id)).toEqual(names);
    const listed = (await t.cf.workers.scripts.list({ account_id: ACCOUNT })).result.map((s) => s.id);
    for (const n of names) expect(listed).toContain(n);
    for (const n of names) expect((await hostRequest(t.target, `${n}.localhost`)).text).toBe(n);
  });
});

describe("websockets", () => {
  it("pipes a WebSocket upgrade to the script", async () => {
    const own = await startTarget({ quiet: true });
    try {
      await upload(
        own.cf,
        "ws",
        { main_module: "index.js", compatibility_date: DATE },
        esm(`export default {
        fetch(request) {
          if (request.headers.get("upgrade") !== "websocket") return new Response("no upgrade", { status: 426 });
          const [client, server] = Object.values(new WebSocketPair());
          server.accept();
          server.addEventListener("message", (e) => server.send("echo:" + e.data));
          return new Response(null, { status: 101, webSocket: client });
        },
      };`),
      );
      const ws = new WebSocket(`${own.target.url.replace("http", "ws")}/socket`);
      const reply = await new Promise<string>((resolve, reject) => {
        ws.addEventListener("open", () => ws.send("hi"));
        ws.addEventListener("message", (e) => resolve(String(e.data)));
        ws.addEventListener("error", () => reject(new Error("websocket error")));
      });
      expect(reply).toBe("echo:hi");
      ws.close();
    } finally {
      await own.stop();
    }
  });
});
