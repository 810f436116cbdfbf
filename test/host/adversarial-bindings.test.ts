// Adversarial suite, bindings: an app sees its own vars and OBJECTS, and
// nothing of the host (CONTROL_TOKEN, LOADER, CATALOG, APP_CONTROL,
// APP_OBJECTS, PLATFORM_CONFIG) through env, globalThis, prototypes,
// `cloudflare:workers`, node:fs, process.env or SQL; and one app's globals
// never leak into another's isolate.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import {
  TOKEN,
  deploy,
  deployBystanders,
  expectBystandersServing,
  get,
  getJson,
  startHostileHost,
  STEAL_RAW_ENV,
} from "../helpers/hostile.js";

const HOST_BINDINGS = ["CONTROL_TOKEN", "LOADER", "CATALOG", "APP_CONTROL", "APP_OBJECTS", "PLATFORM_CONFIG"];

/** Fails when the text shows the token or any host binding name. */
function expectNothingOfTheHost(text: string): void {
  expect(text).not.toContain(TOKEN);
  for (const b of HOST_BINDINGS) expect(text, b).not.toContain(b);
}

/**
 * Walks what an app can reach from several roots (own keys, prototypes,
 * symbols), a few levels deep, and returns every key and string it found,
 * plus targeted tricks. All in the app's own isolate.
 */
const SPY = `
import * as cw from "cloudflare:workers";
import { DurableObject } from "cloudflare:workers";
${STEAL_RAW_ENV}
function walk(roots, maxDepth, limit) {
  const seen = new Set();
  const found = [];
  const visit = (v, depth) => {
    if (found.length > limit || v === null || (typeof v !== "object" && typeof v !== "function") || seen.has(v) || depth > maxDepth) return;
    seen.add(v);
    let keys = [];
    try { keys = Reflect.ownKeys(v); } catch (e) { found.push("ownKeys ERR " + e.message); }
    for (const k of keys) {
      found.push(String(k));
      let child;
      try { child = v[k]; } catch { continue; }
      if (typeof child === "string") found.push(child.slice(0, 200));
      else visit(child, depth + 1);
    }
    try { visit(Object.getPrototypeOf(v), depth + 1); } catch {}
  };
  for (const r of roots) visit(r, 0);
  return found;
}
async function attempt(f) {
  try { const v = await f(); return typeof v === "string" ? v : JSON.stringify(v) ?? String(v); } catch (e) { return "ERR " + e.message; }
}
export class Spy extends DurableObject {
  async look() {
    return {
      envKeys: Object.getOwnPropertyNames(this.env),
      ctxKeys: Object.getOwnPropertyNames(this.ctx),
      exports: Object.keys(this.ctx.exports ?? {}),
      idName: this.ctx.id.name ?? null,
      walked: walk([this.ctx, this.env], 3, 5000).join("\\n"),
      sql: {
        tables: await attempt(() => this.ctx.storage.sql.exec("SELECT name FROM sqlite_master").toArray()),
        databases: await attempt(() => this.ctx.storage.sql.exec("PRAGMA database_list").toArray()),
        attach: await attempt(() => this.ctx.storage.sql.exec("ATTACH DATABASE 'host.sqlite' AS h").toArray()),
        registry: await attempt(() => this.ctx.storage.sql.exec("SELECT * FROM _dw_objects").toArray()),
        app: await attempt(() => this.ctx.storage.sql.exec("SELECT * FROM _dw_app").toArray()),
        kv: await attempt(() => this.ctx.storage.list()),
      },
    };
  }
}
export default {
  async fetch(request, env, ctx) {
    const raw = rawEnvOf().OBJECTS;
    const stub = env.OBJECTS.get("spy");
    const out = {
      envKeys: Object.getOwnPropertyNames(env),
      cwKeys: Object.keys(cw),
      cwEnvKeys: Object.getOwnPropertyNames(cw.env),
      cwExports: Object.keys(cw.exports ?? {}),
      ctxExports: Object.keys(ctx.exports ?? {}),
      ctxProps: await attempt(() => ctx.props),
      globals: Object.getOwnPropertyNames(globalThis),
      objectsKeys: Object.getOwnPropertyNames(env.OBJECTS),
      objectsFrozen: Object.isFrozen(env.OBJECTS) && Object.isFrozen(env),
      stubProto: Object.getPrototypeOf(stub),
      tricks: {
        ctorEval: await attempt(() => env.OBJECTS.get.constructor("return globalThis")()),
        eval: await attempt(() => eval("typeof globalThis")),
        protoGet: await attempt(() => Object.getOwnPropertyNames(env.OBJECTS.__proto__)),
        stubCtor: await attempt(() => stub.constructor("return this")),
        stubProtoProp: await attempt(() => stub.__proto__()),
        rawProto: await attempt(() => Object.getOwnPropertyNames(Object.getPrototypeOf(raw))),
        rawToken: await attempt(() => raw["CONTROL" + "_TOKEN"]),
        rawLoader: await attempt(() => raw["LOAD" + "ER"]),
        rawEnv: await attempt(() => raw.env),
        rawCtx: await attempt(() => raw.ctx),
        rawTarget: await attempt(() => raw.target("probe")),
        rawForeign: await attempt(() => raw.objectCall("spy", "look", [])),
        dynImport: await attempt(async () => Object.keys(await import("cloudflare:workers"))),
        withEnv: await attempt(() => cw.withEnv({ FAKE: "mine" }, () => Object.keys(cw.env))),
      },
      walked: walk([globalThis, env, ctx, cw, cw.env, raw, stub], 3, 20000).join("\\n"),
      object: await stub.look(),
    };
    return Response.json(out);
  },
};`;

let host: TestHost;
beforeAll(async () => {
  host = await startHostileHost();
  await deployBystanders(host);
});
afterAll(() => host?.dispose());
afterEach(async () => {
  await expectBystandersServing(host);
});

describe("host bindings", () => {
  it("are not in env, globalThis, cloudflare:workers, prototypes or the raw OBJECTS binding", async () => {
    await deploy(host, "spy", SPY, { durableObject: "Spy", env: { OWN_VAR: "own-value" } });
    const res = await get(host, "/apps/spy/");
    expect(res.status, res.text).toBe(200);
    expect(res.text).not.toContain(TOKEN);
    const out = JSON.parse(res.text);
    const t = out.tricks;
    for (const k of ["rawToken", "rawLoader", "rawEnv", "rawCtx"]) {
      expect(t[k], k).toMatch(/^ERR .*does not implement the method/);
    }
    // Those errors echo the asked name; nothing else may mention a host binding.
    delete t.rawToken;
    delete t.rawLoader;
    expectNothingOfTheHost(JSON.stringify(out));
    expect(out.envKeys).toEqual(["OWN_VAR", "OBJECTS"]);
    // `import { env } from "cloudflare:workers"` gives the env the handler got: its vars and the friendly OBJECTS.
    expect(out.cwEnvKeys.sort()).toEqual(["OBJECTS", "OWN_VAR"]);
    // No exports, neither importable nor on ctx: the app holds no Durable Object class to nest facets with.
    expect(out.cwExports).toEqual([]);
    expect(out.ctxExports).toEqual([]);
    expect(out.ctxProps).toBe("{}");
    expect(out.objectsKeys.sort()).toEqual(["delete", "get"]);
    expect(out.objectsFrozen).toBe(true);
    expect(out.stubProto).toBeNull();
    expect(t.ctorEval).toMatch(/^ERR .*[Cc]ode generation from strings disallowed/);
    expect(t.eval).toMatch(/^ERR /);
    expect(t.stubCtor).toMatch(/^ERR .*not a callable method/);
    expect(t.stubProtoProp).toMatch(/^ERR .*not a callable method/);
    // The raw binding's internal lookup is ES-private: not callable over RPC at all.
    expect(t.rawTarget).toMatch(/^ERR .*(does not implement|not a function|target)/);
    expect(t.rawForeign).toContain('"idName":"spy"');
    // withEnv swaps the app's own env only.
    expect(JSON.parse(t.withEnv)).toEqual(["FAKE"]);
    // The app's object sees its own env, its own exports and its own SQLite only.
    const o = out.object;
    expect(o.envKeys).toEqual(["OWN_VAR", "OBJECTS"]);
    expect(o.exports).toEqual([]);
    // ctx.id is the id the app minted, named as the app named it; never the host's own key ("spy/spy").
    expect(o.idName).toBe("spy");
    expect(o.sql.tables).toBe("[]");
    expect(o.sql.attach).toMatch(/^ERR .*not authorized/);
    expect(o.sql.registry).toMatch(/^ERR .*no such table/);
    expect(o.sql.app).toMatch(/^ERR .*no such table/);
  });

  it("are not in node:fs or process.env with nodejs_compat", async () => {
    await deploy(
      host,
      "spy-node",
      `import fs from "node:fs";
      import path from "node:path";
      const attempt = (f) => { try { return f(); } catch (e) { return "ERR " + e.message; } };
      function tree(dir, depth) {
        return attempt(() => fs.readdirSync(dir).map((n) => {
          const p = path.join(dir, n);
          return depth > 0 && attempt(() => fs.statSync(p).isDirectory()) === true ? { [n]: tree(p, depth - 1) } : n;
        }));
      }
      export default {
        fetch() {
          return Response.json({
            root: tree("/", 3),
            processEnv: Object.keys(process.env),
            reads: ["/bundle/../host.js", "/bundle/host.js", "/host.js", "/bundle/dist/host.js", "/proc/self/environ", "/etc/passwd", "/dev/null"]
              .map((f) => [f, attempt(() => fs.readFileSync(f, "utf8").slice(0, 100))]),
            wrapper: attempt(() => fs.readFileSync("/bundle/__dw_main.js", "utf8").length > 0),
          });
        },
      };`,
      { compatibilityFlags: ["nodejs_compat", "nodejs_compat_populate_process_env"], env: { OWN_VAR: "x" } },
    );
    const res = await get(host, "/apps/spy-node/");
    expect(res.status, res.text).toBe(200);
    expectNothingOfTheHost(res.text);
    const out = JSON.parse(res.text);
    // The virtual file system holds the app's own modules (and the host's wrapper of them) only.
    expect(JSON.stringify(out.root)).toContain('"bundle":["index.js","__dw_main.js"]');
    // The host loads apps with disallow_importable_env (no Durable Object class in `exports`), which also keeps
    // process.env empty: the app's vars are on `env` only.
    expect(out.processEnv).toEqual([]);
    for (const [f, v] of out.reads as [string, string][]) {
      if (f !== "/dev/null") expect(v, f).toMatch(/^ERR /);
    }
  });
});

describe("isolation between apps", () => {
  it("keeps one app's globals and prototype pollution out of another app and the host", async () => {
    await deploy(
      host,
      "polluter",
      `export default {
        fetch() {
          globalThis.SHARED = "from-polluter";
          Object.prototype.polluted = "yes";
          Array.prototype.map = () => { throw new Error("poisoned"); };
          JSON.stringify = () => "poisoned";
          Response.json = () => new Response("poisoned");
          return new Response("polluted");
        },
      };`,
    );
    await deploy(
      host,
      "victim",
      `export default {
        fetch() {
          return new Response(JSON.stringify({
            shared: typeof globalThis.SHARED,
            polluted: typeof ({}).polluted,
            map: [1, 2].map((x) => x * 2),
          }));
        },
      };`,
    );
    expect(await get(host, "/apps/polluter/")).toEqual({ status: 200, text: "polluted" });
    expect(await get(host, "/apps/polluter/")).toEqual({ status: 200, text: "polluted" });
    expect(await getJson(host, "/apps/victim/")).toEqual({ shared: "undefined", polluted: "undefined", map: [2, 4] });
    // The host's own JSON (control plane and error pages) is intact.
    expect((await host.control.getApp("victim"))?.name).toBe("victim");
    const missing = await get(host, "/apps/nobody-here/");
    expect(JSON.parse(missing.text)).toMatchObject({ error: { code: "not_found" } });
  });

  it("survives an app that aborts its own isolate", async () => {
    await deploy(
      host,
      "aborter",
      `import { abortIsolate } from "cloudflare:workers";
      export default { fetch() { abortIsolate("goodbye"); return new Response("still here"); } };`,
    );
    for (let i = 0; i < 3; i++) {
      const res = await get(host, "/apps/aborter/");
      expect(res.status).toBe(500);
      expect(JSON.parse(res.text)).toMatchObject({ error: { code: "app_error" } });
    }
    expect((await host.control.errors("aborter")).errors.length).toBeGreaterThan(0);
  });
});
