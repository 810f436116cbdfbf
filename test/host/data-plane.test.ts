// The data plane of the real host Worker on workerd: routing, per-app
// objects (facets with their own SQLite), isolation, errors, deploys.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsApp, startHost, tempDir, type TestHost } from "../helpers/host.js";

/** An app whose objects count requests in their own SQLite table. */
const COUNTER = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (n INTEGER)");
  }
  hit() {
    this.ctx.storage.sql.exec("INSERT INTO hits VALUES (1)");
    return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM hits").one().n;
  }
  tables() {
    return this.ctx.storage.sql.exec("SELECT name FROM sqlite_master WHERE type = 'table'").toArray().map((r) => r.name);
  }
  async fetch(request) {
    return new Response("count=" + this.hit());
  }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const name = url.searchParams.get("o") ?? "main";
    if (url.pathname === "/rpc") return new Response("rpc=" + (await env.OBJECTS.get(name).hit()));
    if (url.pathname === "/tables") return Response.json(await env.OBJECTS.get(name).tables());
    return env.OBJECTS.get(name).fetch(request);
  },
};`;

const ECHO = (tag: string) =>
  jsApp(`export default {
    fetch(request, env) {
      const url = new URL(request.url);
      return Response.json({ tag: ${JSON.stringify(tag)}, host: url.host, path: url.pathname, search: url.search, env: Object.keys(env).sort() });
    },
  };`);

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ config: { appsDomain: "apps.test", cacheTtlSeconds: 1 } });
  await host.control.rollOut("echo", { ...ECHO("echo"), env: { GREETING: "hi" } });
  await host.control.rollOut("counter", jsApp(COUNTER, { durableObject: "Counter" }));
});
afterAll(() => host?.dispose());

describe("routing", () => {
  it("routes /apps/<app>/… with the prefix stripped and the query kept", async () => {
    const res = await host.fetch("/apps/echo/a/b?x=1");
    expect(res.status).toBe(200);
    expect(await res.json()).toMatchObject({ tag: "echo", path: "/a/b", search: "?x=1" });
    expect(await (await host.fetch("/apps/echo")).json()).toMatchObject({ path: "/" });
  });

  it("routes <app>.<appsDomain> by hostname, case-insensitively", async () => {
    const res = await host.mf.dispatchFetch("http://ECHO.apps.test/hello?y=2");
    expect(await res.json()).toMatchObject({ tag: "echo", path: "/hello", search: "?y=2" });
  });

  it("answers an unknown app with a 404 JSON error, by path and by hostname", async () => {
    for (const res of [
      await host.fetch("/apps/nobody/"),
      await host.mf.dispatchFetch("http://nobody.apps.test/"),
      await host.mf.dispatchFetch("http://a.b.apps.test/"),
      await host.fetch("/apps/..%2Fecho/"),
    ]) {
      expect(res.status).toBe(404);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("not_found");
    }
  });

  it("never passes /_control/ to an app, whatever the hostname", async () => {
    const res = await host.mf.dispatchFetch("http://echo.apps.test/_control/v1/apps");
    expect(res.status).toBe(401);
    expect(await res.text()).not.toContain('"tag"');
  });

  it("gives an app only its own env: vars and OBJECTS, no host binding", async () => {
    const body = (await (await host.fetch("/apps/echo/")).json()) as { env: string[] };
    expect(body.env).toEqual(["GREETING", "OBJECTS"]);
  });
});

describe("objects", () => {
  it("gives each object its own SQLite database, by fetch and by RPC", async () => {
    expect(await (await host.fetch("/apps/counter/?o=a")).text()).toBe("count=1");
    expect(await (await host.fetch("/apps/counter/?o=a")).text()).toBe("count=2");
    expect(await (await host.fetch("/apps/counter/rpc?o=a")).text()).toBe("rpc=3");
    expect(await (await host.fetch("/apps/counter/?o=b")).text()).toBe("count=1");
    // The facet sees only its own tables, none of the supervisor's.
    expect(await (await host.fetch("/apps/counter/tables?o=a")).json()).toEqual(["hits"]);
  });

  it("keeps two apps' objects of the same name apart", async () => {
    await host.control.rollOut("counter2", jsApp(COUNTER, { durableObject: "Counter" }));
    await host.fetch("/apps/counter/?o=shared");
    await host.fetch("/apps/counter/?o=shared");
    expect(await (await host.fetch("/apps/counter2/?o=shared")).text()).toBe("count=1");
    expect(await (await host.fetch("/apps/counter/?o=shared")).text()).toBe("count=3");
  });

  it("sends requests to object 'main' when the app has a class but no fetch handler", async () => {
    const source = COUNTER.replace(/export default \{[\s\S]*$/, "");
    await host.control.rollOut("nofetch", jsApp(source, { durableObject: "Counter" }));
    expect(await (await host.fetch("/apps/nofetch/")).text()).toBe("count=1");
    expect(await (await host.fetch("/apps/nofetch/anything")).text()).toBe("count=2");
  });

  it("refuses a declared class the module does not export at deploy, without hurting other apps", async () => {
    await expect(
      host.control.rollOut(
        "noclass",
        jsApp("export default { fetch() { return new Response('x'); } };", { durableObject: "Missing" }),
      ),
    ).rejects.toMatchObject({ code: "start_failed", message: expect.stringMatching(/"Missing"/) });
    expect((await host.fetch("/apps/noclass/")).status).toBe(404);
    expect((await host.fetch("/apps/echo/")).status).toBe(200);
  });
});

describe("errors and deploys", () => {
  it("answers a throwing app with 500 and a request id, records it, and keeps serving", async () => {
    await host.control.rollOut(
      "flaky",
      jsApp(
        `let n = 0; export default { fetch() { if (++n % 2 === 1) throw new Error("boom " + n); return new Response("ok " + n); } };`,
      ),
    );
    const res = await host.fetch("/apps/flaky/");
    expect(res.status).toBe(500);
    const body = (await res.json()) as { error: { code: string; requestId: string; message: string } };
    expect(body.error.code).toBe("app_error");
    expect(body.error.message).not.toMatch(/boom/);
    expect(await (await host.fetch("/apps/flaky/")).text()).toBe("ok 2");
    const errors = (await host.control.errors("flaky")).errors;
    expect(errors[0]).toMatchObject({ requestId: body.error.requestId, message: expect.stringMatching(/boom 1/) });
    expect((await host.fetch("/apps/echo/")).status).toBe(200);
  });

  it("serves a new deploy within the cache TTL, and reaches existing objects with their data", async () => {
    await host.fetch("/apps/counter/?o=deploy");
    await host.fetch("/apps/counter/?o=deploy");
    const v2 = COUNTER.replace('"count=" + this.hit()', '"v2 count=" + this.hit()');
    const started = Date.now();
    await host.control.rollOut("counter", jsApp(v2, { durableObject: "Counter" }));
    let text = "";
    // Bounded poll: the TTL is 1 s; give it 10 s on a loaded machine.
    while (Date.now() - started < 10_000) {
      text = await (await host.fetch("/apps/counter/?o=deploy")).text();
      if (text.startsWith("v2")) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    expect(text).toMatch(/^v2 count=\d+$/);
    expect(Number(text.split("=")[1])).toBeGreaterThanOrEqual(3);
  });
});

describe("persistence", () => {
  it("keeps an object's count across a restart of workerd", async () => {
    const dir = tempDir();
    try {
      let h = await startHost({ persist: dir.path });
      try {
        await h.control.rollOut("persist", jsApp(COUNTER, { durableObject: "Counter" }));
        await h.fetch("/apps/persist/?o=p");
        expect(await (await h.fetch("/apps/persist/?o=p")).text()).toBe("count=2");
      } finally {
        await h.dispose();
      }
      h = await startHost({ persist: dir.path });
      try {
        expect(await (await h.fetch("/apps/persist/?o=p")).text()).toBe("count=3");
      } finally {
        await h.dispose();
      }
    } finally {
      dir.remove();
    }
  });
});

describe("delete", () => {
  it("with data=retain stops serving and brings the data back when the app returns", async () => {
    await host.control.rollOut("keeper", jsApp(COUNTER, { durableObject: "Counter" }));
    await host.fetch("/apps/keeper/?o=k");
    await host.fetch("/apps/keeper/?o=k");
    expect(await host.control.deleteApp("keeper")).toMatchObject({ data: "retain", objects: 1 });
    expect((await host.fetch("/apps/keeper/?o=k")).status).toBe(404);
    await host.control.rollOut("keeper", jsApp(COUNTER, { durableObject: "Counter" }));
    expect(await (await host.fetch("/apps/keeper/?o=k")).text()).toBe("count=3");
  });

  it("with data=delete removes the databases", async () => {
    await host.control.rollOut("wiper", jsApp(COUNTER, { durableObject: "Counter" }));
    await host.fetch("/apps/wiper/?o=w");
    await host.fetch("/apps/wiper/?o=w");
    expect(await host.control.deleteApp("wiper", "delete")).toMatchObject({ data: "delete", objects: 1 });
    expect((await host.fetch("/apps/wiper/?o=w")).status).toBe(404);
    expect(await host.control.getApp("wiper")).toBeNull();
    await host.control.rollOut("wiper", jsApp(COUNTER, { durableObject: "Counter" }));
    expect(await (await host.fetch("/apps/wiper/?o=w")).text()).toBe("count=1");
  });

  it("answers 404 for an app that never existed", async () => {
    await expect(host.control.deleteApp("ghost")).rejects.toMatchObject({ status: 404 });
  });
});

describe("maxObjects", () => {
  it("refuses a new object past the quota while existing objects keep working", async () => {
    await host.control.rollOut("small", jsApp(COUNTER, { durableObject: "Counter" }), { quota: { maxObjects: 2 } });
    expect(await (await host.fetch("/apps/small/rpc?o=1")).text()).toBe("rpc=1");
    expect(await (await host.fetch("/apps/small/rpc?o=2")).text()).toBe("rpc=1");
    const res = await host.fetch("/apps/small/rpc?o=3");
    expect(res.status).toBe(500);
    expect((await host.control.errors("small")).errors[0]?.message).toMatch(/maxObjects = 2/);
    expect(await (await host.fetch("/apps/small/rpc?o=1")).text()).toBe("rpc=2");
    expect((await host.control.getApp("small"))?.objects).toBe(2);
  });
});
