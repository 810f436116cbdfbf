// Adversarial suite, objects: an app reaches only its own objects, whatever
// names or method names it passes, and never holds more than maxObjects of
// them, in a loop, in parallel, or racing deletes.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import {
  TOKEN,
  deploy,
  deployBystanders,
  expectBystandersServing,
  get,
  getJson,
  secret,
  startHostileHost,
  startListener,
  STEAL_RAW_ENV,
} from "../helpers/hostile.js";

/**
 * Objects hold strings; the app writes, reads (by RPC, by fetch, and through
 * the raw binding from `cloudflare:workers`), and probes names and methods.
 */
const VAULT = `
import { DurableObject } from "cloudflare:workers";
${STEAL_RAW_ENV}
export class Vault extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS kv (v TEXT)");
  }
  write(v) { this.ctx.storage.sql.exec("INSERT INTO kv VALUES (?)", v); return true; }
  read() { return this.ctx.storage.sql.exec("SELECT v FROM kv").toArray().map((r) => r.v); }
  _private() { return "private method ran"; }
  async fetch() { return Response.json(this.read()); }
}
const NON_STRINGS = [undefined, null, 42, true, {}, ["x"], { toString() { return "x"; } }];
async function attempt(f) {
  try { return await f(); } catch (e) { return "ERR " + e.message; }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const body = request.method === "POST" ? await request.json() : {};
    switch (url.pathname) {
      case "/write":
        return Response.json(await env.OBJECTS.get(body.name).write(body.value));
      case "/read":
        return Response.json(await env.OBJECTS.get(body.name).read());
      case "/names": {
        const names = body.nonStrings ? NON_STRINGS : body.names;
        return Response.json(await Promise.all(names.map(async (name) => ({
          rpc: await attempt(() => env.OBJECTS.get(name).read()),
          fetch: await attempt(async () => (await env.OBJECTS.get(name).fetch("http://o/")).json()),
          raw: await attempt(() => rawEnvOf().OBJECTS.objectCall(name, "read", [])),
        }))));
      }
      case "/methods": {
        // Object.fromEntries: a method named "__proto__" stays an own key.
        const out = Object.fromEntries(body.methods.map((m) => [m, null]));
        for (const m of body.methods) {
          out[m] = {
            wrapped: await attempt(() => env.OBJECTS.get("x")[m]()),
            raw: await attempt(() => rawEnvOf().OBJECTS.objectCall("x", m, [])),
          };
        }
        out.notArray = await attempt(() => rawEnvOf().OBJECTS.objectCall("x", "read", "not-an-array"));
        out.nonStringMethod = await attempt(() => rawEnvOf().OBJECTS.objectCall("x", 7, []));
        return Response.json(out);
      }
      case "/create": {
        // body.names created in parallel (body.parallel) or one after another.
        const one = (n) => attempt(async () => { await env.OBJECTS.get(n).write("v"); return "ok"; });
        const results = body.parallel ? await Promise.all(body.names.map(one)) : [];
        if (!body.parallel) for (const n of body.names) results.push(await one(n));
        return Response.json(results);
      }
      case "/delete":
        return Response.json(await attempt(() => env.OBJECTS.delete(body.name)));
      case "/race": {
        // Deletes an object while gets on the same name are in flight.
        const n = body.name;
        await env.OBJECTS.get(n).write("v");
        const ps = [];
        for (let k = 0; k < 6; k++) ps.push(attempt(() => env.OBJECTS.get(n).write("v")));
        ps.push(attempt(() => env.OBJECTS.delete(n)));
        for (let k = 0; k < 6; k++) ps.push(attempt(() => env.OBJECTS.get(n).write("v")));
        return Response.json(await Promise.all(ps));
      }
    }
    return new Response("?", { status: 404 });
  },
};`;

const post = (body: unknown): RequestInit => ({
  method: "POST",
  body: JSON.stringify(body),
  headers: { "content-type": "application/json" },
});
const call = <T = unknown>(host: TestHost, app: string, path: string, body: unknown) =>
  getJson<T>(host, `/apps/${app}${path}`, post(body));
const objectsOf = async (app: string) => (await host.control.getApp(app))!.objects;

let host: TestHost;
const BOB_X = secret("BOB-X");
const BOB_ALICE_X = secret("BOB-ALICE-X");
const ALICE_X = secret("ALICE-X");
beforeAll(async () => {
  host = await startHostileHost();
  await deployBystanders(host);
  await deploy(host, "alice", VAULT, { durableObject: "Vault" });
  await deploy(host, "bob", VAULT, { durableObject: "Vault" });
  await call(host, "bob", "/write", { name: "x", value: BOB_X });
  await call(host, "bob", "/write", { name: "alice/x", value: BOB_ALICE_X });
  await call(host, "alice", "/write", { name: "x", value: ALICE_X });
});
afterAll(() => host?.dispose());
afterEach(async () => {
  await expectBystandersServing(host);
  // Bob's data is intact and still only his.
  expect(await call(host, "bob", "/read", { name: "x" })).toEqual([BOB_X]);
  expect(await call(host, "bob", "/read", { name: "alice/x" })).toEqual([BOB_ALICE_X]);
});

describe("crafted object names", () => {
  it("never reach another app's object: separators, encodings, look-alikes", async () => {
    const names = [
      "../bob/x",
      "../../bob/x",
      "/",
      "/bob/x",
      "bob/x",
      "bob//x",
      "bob/x/",
      "./bob/x",
      "%2F..%2Fbob%2Fx",
      "..%2Fbob%2Fx",
      "bob%2Fx",
      "bob\\x",
      "bob\u2215x", // division slash
      "bob\uFF0Fx", // fullwidth solidus
      "b\u043Eb/x", // Cyrillic o
      "\uFF42\uFF4F\uFF42/x", // fullwidth "bob"
      "bob/x\u0000",
      "bob/x\u200D",
      "\uD800bob/x", // a lone surrogate
      "\u202Ebob/x", // right-to-left override
      "a".repeat(256), // the longest name allowed
    ];
    const results = await call<Record<string, unknown>[]>(host, "alice", "/names", { names });
    const text = JSON.stringify(results);
    expect(text).not.toContain(BOB_X);
    expect(text).not.toContain(BOB_ALICE_X);
    expect(text).not.toContain(ALICE_X); // none of these names is alice's own "x" either
    // Each is a new, empty object of alice's own, the same by every route.
    results.forEach((r, i) => {
      // A control character is refused (such names are reserved for the host's own registry keys).
      const refused = "ERR OBJECTS.get(name): name: must not contain control characters";
      if ([...names[i]!].some((c) => c.charCodeAt(0) < 0x20))
        expect(r).toEqual({ rpc: refused, fetch: refused, raw: refused });
      else expect(r).toEqual({ rpc: [], fetch: [], raw: [] });
    });
    // The name "alice/x" inside bob is not alice's "x", and alice's "x" is hers.
    expect(await call(host, "alice", "/read", { name: "x" })).toEqual([ALICE_X]);
  });

  it("refuses names over the length limit, naming it, and the empty name", async () => {
    const [long, longer, empty] = await call<Record<string, string>[]>(host, "alice", "/names", {
      names: ["a".repeat(257), "bob/x".padEnd(10_000, "/"), ""],
    });
    for (const r of [long!, longer!]) {
      for (const v of Object.values(r)) expect(v).toMatch(/^ERR .*at most 256 characters/);
    }
    for (const v of Object.values(empty!)) expect(v).toMatch(/^ERR .*must not be empty/);
  });

  it("refuses names that are not strings, in the wrapper and at the raw binding", async () => {
    const results = await call<Record<string, string>[]>(host, "alice", "/names", { nonStrings: true });
    expect(results).toHaveLength(7);
    for (const r of results) {
      expect(r.rpc).toMatch(/^ERR .*name must be a string/);
      expect(r.fetch).toMatch(/^ERR .*name must be a string/);
      // The host checks again: the raw binding skips the wrapper.
      expect(r.raw).toMatch(/^ERR /);
      expect(r.raw).not.toContain(BOB_X);
    }
    expect(JSON.stringify(results)).not.toContain(ALICE_X);
  });
});

describe("crafted method names", () => {
  it("never reach the host's AppObject or private methods; the object's data survives", async () => {
    const methods = [
      "constructor",
      "__proto__",
      "fetch",
      "then",
      "alarm",
      "webSocketMessage",
      "_private",
      "__defineGetter__",
      "destroy",
      "callObject",
      "fetchObject",
      "facet",
      "registerObject",
      "ctx",
      "env",
      "dup",
    ];
    const out = await call<Record<string, { wrapped: unknown; raw: unknown }>>(host, "alice", "/methods", { methods });
    const text = JSON.stringify(out);
    expect(text).not.toContain(TOKEN);
    expect(text).not.toContain(BOB_X);
    expect(text).not.toContain("private method ran");
    for (const m of [
      "constructor",
      "__proto__",
      "fetch",
      "alarm",
      "webSocketMessage",
      "_private",
      "__defineGetter__",
    ]) {
      expect(out[m]!.raw, m).toMatch(/^ERR .*not a callable method of the object/);
    }
    // "then" is not a method: a stub must never look like a promise.
    expect(out.then!.wrapped).toMatch(/^ERR .*not a function/);
    expect(out.then!.raw).toMatch(/^ERR .*not a callable method/);
    // The host's own method names go to the app's class, which has none of them.
    for (const m of ["destroy", "callObject", "fetchObject", "facet", "registerObject", "ctx", "env", "dup"]) {
      expect(out[m]!.raw, m).toMatch(/^ERR /);
      expect(out[m]!.wrapped, m).toMatch(/^ERR /);
    }
    expect(out.notArray).toMatch(/^ERR .*arguments must be an array/);
    expect(out.nonStringMethod).toMatch(/^ERR .*not a callable method/);
    // "destroy" did not delete the database.
    expect(await call(host, "alice", "/read", { name: "x" })).toEqual([ALICE_X]);
  });

  it("cannot use the host-side stub's connect() to reach the network", async () => {
    const listener = await startListener();
    try {
      await deploy(
        host,
        "m-connect",
        VAULT.replace(
          'case "/delete":',
          `case "/connect":
            return Response.json(await attempt(() => rawEnvOf().OBJECTS.objectCall("x", "connect", ["127.0.0.1:${listener.port}"])));
          case "/delete":`,
        ),
        { durableObject: "Vault" },
      );
      expect(await getJson(host, "/apps/m-connect/connect")).toMatch(/^ERR /);
      await new Promise((r) => setTimeout(r, 200));
      expect(listener.connections()).toBe(0);
    } finally {
      await listener.close();
    }
  });

  // Once a bug, now fixed: AppObject.callObject runs `facet[method](...args)` in the host's
  // isolate, and `facet` is a Fetcher: names on its prototype chain are not
  // RPC calls to the app's class but built-ins run on the host's stub, with
  // arguments the app chose (toString -> "[object Fetcher]", hasOwnProperty,
  // isPrototypeOf, propertyIsEnumerable, toLocaleString, valueOf, connect).
  // No cross-app effect found, but NOT_CALLABLE is a deny-list that misses them.
  it("runs no built-in of the host-side stub: names the app's class lacks are refused", async () => {
    const methods = [
      "toString",
      "toLocaleString",
      "valueOf",
      "hasOwnProperty",
      "isPrototypeOf",
      "propertyIsEnumerable",
      "connect",
    ];
    const out = await call<Record<string, { wrapped: unknown; raw: unknown }>>(host, "alice", "/methods", { methods });
    for (const m of methods) {
      expect(out[m]!.raw, m).toMatch(/^ERR /);
      expect(out[m]!.raw, m).not.toMatch(/Fetcher/);
    }
  });
});

describe("maxObjects", () => {
  it("holds in a tight loop, keeps existing objects working, and holds when lowered", async () => {
    await deploy(host, "q-loop", VAULT, { durableObject: "Vault" }, { quota: { maxObjects: 5 } });
    const names = Array.from({ length: 20 }, (_, i) => `n${i}`);
    const results = await call<string[]>(host, "q-loop", "/create", { names });
    expect(results.slice(0, 5)).toEqual(["ok", "ok", "ok", "ok", "ok"]);
    for (const r of results.slice(5)) expect(r).toMatch(/^ERR .*maxObjects = 5/);
    expect(await objectsOf("q-loop")).toBe(5);
    expect(await call(host, "q-loop", "/read", { name: "n0" })).toEqual(["v"]);
    // Lowered below the count: existing objects keep working, no new one starts.
    await host.control.putApp("q-loop", { quota: { maxObjects: 2 } });
    expect(await call(host, "q-loop", "/create", { names: ["n4", "new"] })).toEqual([
      "ok",
      expect.stringMatching(/maxObjects = 2/),
    ]);
    expect(await objectsOf("q-loop")).toBe(5);
  });

  it("holds under 50 parallel creations in one request and 30 parallel requests", async () => {
    await deploy(host, "q-par", VAULT, { durableObject: "Vault" }, { quota: { maxObjects: 5 } });
    const names = Array.from({ length: 50 }, (_, i) => `p${i}`);
    const results = await call<string[]>(host, "q-par", "/create", { names, parallel: true });
    const created = names.filter((_, i) => results[i] === "ok");
    expect(created).toHaveLength(5);
    for (const r of results.filter((r) => r !== "ok")) expect(r).toMatch(/maxObjects = 5/);
    expect(await objectsOf("q-par")).toBe(5);

    await deploy(host, "q-par2", VAULT, { durableObject: "Vault" }, { quota: { maxObjects: 5 } });
    const many = await Promise.all(
      Array.from({ length: 30 }, (_, i) => call<string[]>(host, "q-par2", "/create", { names: [`h${i}`] })),
    );
    expect(many.flat().filter((r) => r === "ok")).toHaveLength(5);
    expect(await objectsOf("q-par2")).toBe(5);
    // The objects that made it keep working.
    for (const n of created) expect(await call(host, "q-par", "/read", { name: n })).toEqual(["v"]);
  });

  it("holds when deletes race with gets on the same names", async () => {
    await deploy(host, "q-race", VAULT, { durableObject: "Vault" }, { quota: { maxObjects: 3 } });
    const names = ["r0", "r1", "r2"];
    for (let round = 0; round < 10; round++) {
      await Promise.all(names.map((name) => call(host, "q-race", "/race", { name })));
      // Every name is alive, so each must be counted: an uncounted live object would free a slot.
      expect(await objectsOf("q-race")).toBe(3);
    }
    expect(await call<string[]>(host, "q-race", "/create", { names: ["extra"] })).toEqual([
      expect.stringMatching(/maxObjects = 3/),
    ]);
    // A plain delete frees the slot.
    expect(await call(host, "q-race", "/delete", { name: "r0" })).toBe(true);
    expect(await call<string[]>(host, "q-race", "/create", { names: ["extra"] })).toEqual(["ok"]);
    expect(await objectsOf("q-race")).toBe(3);
  });

  // Once a bug, now fixed: an app's Durable Object runs as a facet whose ctx still has `facets`
  // and whose ctx.exports has the app's own class, so it can start nested
  // facets, each with its own SQLite database, which no registry counts:
  // maxObjects (and any per-object storage accounting) is bypassed.
  it("counts every database the app can create (nested facets are not a way around maxObjects)", async () => {
    await deploy(
      host,
      "q-nest",
      `import { DurableObject } from "cloudflare:workers";
      export class Box extends DurableObject {
        write() {
          this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS t (v)");
          this.ctx.storage.sql.exec("INSERT INTO t VALUES (1)");
          return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM t").one().n;
        }
        async spawn(n) {
          const out = [];
          for (let i = 0; i < n; i++) {
            try {
              out.push(await this.ctx.facets.get("nested" + i, () => ({ class: this.ctx.exports.Box })).write());
            } catch (e) {
              out.push("ERR " + e.message);
            }
          }
          return out;
        }
      }
      export default { async fetch(request, env) { return Response.json(await env.OBJECTS.get("only").spawn(10)); } };`,
      { durableObject: "Box" },
      { quota: { maxObjects: 1 } },
    );
    const first = await getJson<unknown[]>(host, "/apps/q-nest/");
    const second = await getJson<unknown[]>(host, "/apps/q-nest/");
    expect(await objectsOf("q-nest")).toBe(1);
    // Databases that kept data across requests, beyond the one counted object.
    const persistent = second.filter((v, i) => typeof v === "number" && v === (first[i] as number) + 1).length;
    expect(persistent).toBe(0);
  });
});

describe("the object registry is per app", () => {
  it("counts alice's probes against alice only", async () => {
    const bobBefore = await objectsOf("bob");
    await call(host, "alice", "/names", { names: ["bob/fresh-1", "../bob/fresh-2"] });
    expect(await objectsOf("bob")).toBe(bobBefore);
    const { text } = await get(host, "/_control/v1/apps/bob", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(text).not.toContain("fresh");
  });
});
