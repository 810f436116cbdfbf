/**
 * Small Workers written the way Cloudflare's documentation writes them:
 * `env.<BINDING>.idFromName()` / `getByName()`, RPC methods, `fetch()`
 * handlers, SQL and KV storage, `blockConcurrencyWhile`, several classes.
 * Each runs unchanged on both sides of harness.ts. Written for this suite.
 */
import { expect } from "vitest";
import type { CompatApp } from "./harness.js";
import { LIFECYCLE_APPS } from "./apps-lifecycle.js";

const text = async (r: Promise<Response>) => (await r).text();
const json = async <T = unknown>(r: Promise<Response>) => (await (await r).json()) as T;

export const COMPAT_APPS: CompatApp[] = [
  ...LIFECYCLE_APPS,
  {
    name: "counter-rpc",
    bindings: { COUNTER: "Counter" },
    source: `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (n INTEGER)");
  }
  increment() {
    this.ctx.storage.sql.exec("INSERT INTO hits VALUES (1)");
    return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM hits").one().n;
  }
}
export default {
  async fetch(request, env) {
    const name = new URL(request.url).searchParams.get("name") ?? "default";
    const stub = env.COUNTER.get(env.COUNTER.idFromName(name));
    return new Response(String(await stub.increment()));
  },
};`,
    async check(fetch) {
      expect(await text(fetch("/?name=a"))).toBe("1");
      expect(await text(fetch("/?name=a"))).toBe("2");
      expect(await text(fetch("/?name=b"))).toBe("1");
    },
  },
  {
    name: "kv-fetch",
    bindings: { STORE: "Store" },
    source: `
import { DurableObject } from "cloudflare:workers";
export class Store extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "PUT") {
      await this.ctx.storage.put(url.pathname, await request.text());
      return new Response("stored", { status: 201 });
    }
    const value = await this.ctx.storage.get(url.pathname);
    return value === undefined ? new Response("missing", { status: 404 }) : new Response(value);
  }
}
export default {
  fetch(request, env) {
    return env.STORE.getByName("main").fetch(request);
  },
};`,
    async check(fetch) {
      const put = await fetch("/greeting", { method: "PUT", body: "hello" });
      expect(put.status).toBe(201);
      expect(await text(fetch("/greeting"))).toBe("hello");
      const miss = await fetch("/other");
      expect(miss.status).toBe(404);
      expect(await miss.text()).toBe("missing");
    },
  },
  {
    name: "ids",
    bindings: { THING: "Thing" },
    source: `
import { DurableObject } from "cloudflare:workers";
export class Thing extends DurableObject {
  whoami() { return { id: this.ctx.id.toString(), name: this.ctx.id.name ?? null }; }
  remember(v) { this.ctx.storage.kv.put("v", v); return v; }
  recall() { return this.ctx.storage.kv.get("v") ?? null; }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    if (url.pathname === "/new") {
      const id = env.THING.newUniqueId();
      await env.THING.get(id).remember("kept");
      return Response.json({ id: id.toString() });
    }
    if (url.pathname === "/again") {
      const id = env.THING.idFromString(url.searchParams.get("id"));
      return Response.json({ v: await env.THING.get(id).recall() });
    }
    if (url.pathname === "/named") {
      const id = env.THING.idFromName("alice");
      const stub = env.THING.get(id);
      const same = env.THING.idFromName("alice");
      return Response.json({
        hex: id.toString(),
        idName: id.name ?? null,
        equals: id.equals(same),
        notEquals: id.equals(env.THING.idFromName("bob")),
        inside: await stub.whoami(),
        byName: await env.THING.getByName("alice").whoami(),
      });
    }
    if (url.pathname === "/forged") {
      try { env.THING.idFromString("0".repeat(64)); return new Response("accepted"); }
      catch (e) { return new Response("refused"); }
    }
    return new Response("?", { status: 404 });
  },
};`,
    async check(fetch) {
      const { id } = await json<{ id: string }>(fetch("/new"));
      expect(id).toMatch(/^[0-9a-f]{64}$/);
      expect(await json(fetch(`/again?id=${id}`))).toEqual({ v: "kept" });
      const n = await json<Record<string, any>>(fetch("/named"));
      expect(n.hex).toMatch(/^[0-9a-f]{64}$/);
      expect(n.idName).toBe("alice");
      expect(n.equals).toBe(true);
      expect(n.notEquals).toBe(false);
      expect(n.inside.id).toBe(n.hex);
      expect(n.inside.name).toBe("alice");
      expect(n.byName).toEqual(n.inside);
      expect(await text(fetch("/forged"))).toBe("refused");
    },
  },
  {
    name: "two-classes",
    bindings: { ROOM: "Room", LIMITER: "Limiter" },
    source: `
import { DurableObject } from "cloudflare:workers";
export class Limiter extends DurableObject {
  take(max) {
    const used = (this.ctx.storage.kv.get("used") ?? 0) + 1;
    this.ctx.storage.kv.put("used", used);
    return used <= max;
  }
}
export class Room extends DurableObject {
  async post(user, message) {
    // An object calls another class's object through its own env.
    if (!(await this.env.LIMITER.getByName(user).take(2))) return { ok: false };
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS log (user TEXT, message TEXT)");
    this.ctx.storage.sql.exec("INSERT INTO log VALUES (?, ?)", user, message);
    return { ok: true, count: this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM log").one().n };
  }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const room = env.ROOM.getByName(url.searchParams.get("room"));
    return Response.json(await room.post(url.searchParams.get("user"), url.searchParams.get("m")));
  },
};`,
    async check(fetch) {
      expect(await json(fetch("/?room=r&user=ann&m=hi"))).toEqual({ ok: true, count: 1 });
      expect(await json(fetch("/?room=r&user=bob&m=yo"))).toEqual({ ok: true, count: 2 });
      expect(await json(fetch("/?room=r&user=ann&m=again"))).toEqual({ ok: true, count: 3 });
      expect(await json(fetch("/?room=r&user=ann&m=spam"))).toEqual({ ok: false });
    },
  },
  {
    name: "block-concurrency",
    bindings: { SCHEMA: "Migrated" },
    source: `
import { DurableObject } from "cloudflare:workers";
export class Migrated extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.blockConcurrencyWhile(async () => {
      await scheduler.wait(20);
      ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS items (id INTEGER PRIMARY KEY, label TEXT)");
      this.ready = true;
    });
  }
  add(label) {
    if (!this.ready) throw new Error("not ready");
    this.ctx.storage.sql.exec("INSERT INTO items (label) VALUES (?)", label);
    return this.ctx.storage.sql.exec("SELECT label FROM items ORDER BY id").toArray().map((r) => r.label);
  }
}
export default {
  async fetch(request, env) {
    const stub = env.SCHEMA.getByName("one");
    const results = await Promise.all(["a", "b", "c"].map((l) => stub.add(l)));
    return Response.json(results.map((r) => r.length).sort());
  },
};`,
    async check(fetch) {
      expect(await json(fetch("/"))).toEqual([1, 2, 3]);
    },
  },
  {
    name: "streams",
    bindings: { ECHO: "Echo" },
    source: `
import { DurableObject } from "cloudflare:workers";
export class Echo extends DurableObject {
  async fetch(request) {
    // Counts the request body as it streams, then streams an answer of its own.
    let bytes = 0;
    for await (const chunk of request.body) bytes += chunk.byteLength;
    const parts = ["got ", String(bytes), " bytes"];
    const body = new ReadableStream({
      async pull(c) {
        const p = parts.shift();
        if (p === undefined) return c.close();
        await scheduler.wait(5);
        c.enqueue(new TextEncoder().encode(p));
      },
    });
    return new Response(body, { headers: { "x-echo": "yes" } });
  }
}
export default {
  fetch(request, env) {
    return env.ECHO.getByName("e").fetch(request);
  },
};`,
    async check(fetch) {
      const res = await fetch("/", { method: "POST", body: "x".repeat(300_000) });
      expect(res.headers.get("x-echo")).toBe("yes");
      expect(await res.text()).toBe("got 300000 bytes");
    },
  },
  {
    name: "sql-cursor",
    bindings: { NOTES: "Notes" },
    source: `
import { DurableObject } from "cloudflare:workers";
export class Notes extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS notes (id INTEGER PRIMARY KEY, body TEXT NOT NULL)");
  }
  addMany(bodies) {
    this.ctx.storage.transactionSync(() => {
      for (const b of bodies) this.ctx.storage.sql.exec("INSERT INTO notes (body) VALUES (?)", b);
    });
    const cursor = this.ctx.storage.sql.exec("SELECT id, body FROM notes ORDER BY id");
    return { rows: [...cursor].map((r) => r.body), columns: cursor.columnNames };
  }
  failHalfway() {
    try {
      this.ctx.storage.transactionSync(() => {
        this.ctx.storage.sql.exec("INSERT INTO notes (body) VALUES ('partial')");
        this.ctx.storage.sql.exec("INSERT INTO notes (body) VALUES (NULL)");
      });
    } catch (e) { /* rolled back */ }
    return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM notes").one().n;
  }
}
export default {
  async fetch(request, env) {
    const notes = env.NOTES.getByName("n");
    const first = await notes.addMany(["one", "two"]);
    return Response.json({ first, after: await notes.failHalfway() });
  },
};`,
    async check(fetch) {
      expect(await json(fetch("/"))).toEqual({ first: { rows: ["one", "two"], columns: ["id", "body"] }, after: 2 });
    },
  },
  {
    name: "env-vars-in-objects",
    bindings: { SESSIONS: "Sessions" },
    source: `
import { DurableObject, env as importedEnv } from "cloudflare:workers";
export class Sessions extends DurableObject {
  open(user) {
    const sessions = (this.ctx.storage.kv.get("sessions") ?? []).concat(user);
    this.ctx.storage.kv.put("sessions", sessions);
    return { sessions, bindingInObject: typeof this.env.SESSIONS.getByName };
  }
}
export default {
  async fetch(request, env) {
    const out = await env.SESSIONS.getByName("all").open("u" + new URL(request.url).searchParams.get("u"));
    return Response.json({ ...out, imported: typeof importedEnv.SESSIONS?.idFromName });
  },
};`,
    async check(fetch) {
      expect(await json(fetch("/?u=1"))).toEqual({
        sessions: ["u1"],
        bindingInObject: "function",
        imported: "function",
      });
      expect(await json(fetch("/?u=2"))).toEqual({
        sessions: ["u1", "u2"],
        bindingInObject: "function",
        imported: "function",
      });
    },
  },
];
