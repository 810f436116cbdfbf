/**
 * Compatibility apps for what happens around requests: alarms with retries,
 * an old-style object of an old compatibility date, and a chat room on the
 * WebSocket Hibernation API. Written for this suite, the way Cloudflare's
 * documentation writes such Workers; see apps.ts.
 */
import { expect } from "vitest";
import type { CompatApp } from "./harness.js";

const text = async (r: Promise<Response>) => (await r).text();
const json = async <T = unknown>(r: Promise<Response>) => (await (await r).json()) as T;

export const LIFECYCLE_APPS: CompatApp[] = [
  {
    name: "rpc-target",
    bindings: { ACCOUNTS: "Accounts" },
    source: `
import { DurableObject, RpcTarget } from "cloudflare:workers";
class Session extends RpcTarget {
  constructor(storage, user) { super(); this.storage = storage; this.user = user; }
  deposit(amount) {
    const key = "balance:" + this.user;
    const balance = (this.storage.kv.get(key) ?? 0) + amount;
    this.storage.kv.put(key, balance);
    return balance;
  }
  get name() { return this.user; }
}
export class Accounts extends DurableObject {
  open(user) { return new Session(this.ctx.storage, user); }
  async total(users) { return users.reduce((sum, u) => sum + (this.ctx.storage.kv.get("balance:" + u) ?? 0), 0); }
}
export default {
  async fetch(request, env) {
    const bank = env.ACCOUNTS.getByName("bank");
    const session = await bank.open("ann");
    const first = await session.deposit(10);
    const second = await session.deposit(5);
    return Response.json({ first, second, name: await session.name, total: await bank.total(["ann", "bob"]) });
  },
};`,
    async check(fetch) {
      expect(await json(fetch("/"))).toEqual({ first: 10, second: 15, name: "ann", total: 15 });
      expect(await json(fetch("/"))).toEqual({ first: 25, second: 30, name: "ann", total: 30 });
    },
  },
  {
    name: "alarms",
    bindings: { REMINDERS: "Reminder" },
    source: `
import { DurableObject } from "cloudflare:workers";
export class Reminder extends DurableObject {
  async schedule(ms) {
    await this.ctx.storage.setAlarm(Date.now() + ms);
    return (await this.ctx.storage.getAlarm()) !== null;
  }
  async alarm(alarmInfo) {
    const fired = (this.ctx.storage.kv.get("fired") ?? 0) + 1;
    this.ctx.storage.kv.put("fired", fired);
    this.ctx.storage.kv.put("retryCount", alarmInfo?.retryCount ?? null);
    // The first run fails: Workers retries it, with alarmInfo.retryCount.
    if (fired === 1) throw new Error("failing once on purpose");
  }
  async status() {
    return {
      fired: this.ctx.storage.kv.get("fired") ?? 0,
      retryCount: this.ctx.storage.kv.get("retryCount") ?? null,
      pending: (await this.ctx.storage.getAlarm()) !== null,
    };
  }
  async cancel() {
    await this.ctx.storage.setAlarm(Date.now() + 60_000);
    await this.ctx.storage.deleteAlarm();
    return await this.ctx.storage.getAlarm();
  }
}
export default {
  async fetch(request, env) {
    const stub = env.REMINDERS.getByName(new URL(request.url).searchParams.get("who") ?? "me");
    const op = new URL(request.url).pathname.slice(1);
    return Response.json(await (op === "schedule" ? stub.schedule(50) : op === "cancel" ? stub.cancel() : stub.status()));
  },
};`,
    async check(fetch) {
      expect(await json(fetch("/schedule"))).toBe(true);
      let status: Record<string, unknown> = {};
      // Bounded: the retry comes after the runtime's backoff (seconds).
      for (let i = 0; i < 100 && status.fired !== 2; i++) {
        status = await json(fetch("/status"));
        if (status.fired !== 2) await new Promise((r) => setTimeout(r, 200));
      }
      expect(status).toEqual({ fired: 2, retryCount: 1, pending: false });
      expect(await json(fetch("/cancel?who=other"))).toBeNull();
    },
  },
  {
    // A compatibility date from before RPC between Workers was on by default (2024-04-03).
    name: "old-date",
    bindings: { VISITS: "Visits" },
    compatibilityDate: "2023-05-18",
    source: `
export class Visits {
  constructor(state) { this.state = state; }
  async fetch(request) {
    const n = ((await this.state.storage.get("n")) ?? 0) + 1;
    await this.state.storage.put("n", n);
    return new Response("visit " + n);
  }
}
export default {
  fetch(request, env) {
    return env.VISITS.get(env.VISITS.idFromName("site")).fetch(request);
  },
};`,
    async check(fetch) {
      expect(await text(fetch("/"))).toBe("visit 1");
      expect(await text(fetch("/"))).toBe("visit 2");
    },
  },
  {
    name: "chat-hibernation",
    bindings: { ROOM: "ChatRoom" },
    source: `
import { DurableObject } from "cloudflare:workers";
export class ChatRoom extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.setWebSocketAutoResponse(new WebSocketRequestResponsePair("ping", "pong"));
  }
  async fetch(request) {
    const user = new URL(request.url).searchParams.get("user");
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server, [user]);
    server.serializeAttachment({ user });
    for (const peer of this.ctx.getWebSockets()) if (peer !== server) peer.send(user + " joined");
    return new Response(null, { status: 101, webSocket: client });
  }
  webSocketMessage(ws, message) {
    const { user } = ws.deserializeAttachment();
    if (message === "who") return ws.send(this.ctx.getWebSockets().map((s) => this.ctx.getTags(s)[0]).sort().join(","));
    for (const peer of this.ctx.getWebSockets()) peer.send(user + ": " + message);
  }
  webSocketClose(ws, code) { ws.close(code, "bye"); }
}
export default {
  fetch(request, env) {
    if (request.headers.get("Upgrade") !== "websocket") return new Response("expected a WebSocket", { status: 426 });
    return env.ROOM.getByName(new URL(request.url).searchParams.get("room")).fetch(request);
  },
};`,
    async check(fetch, socket) {
      expect((await fetch("/?room=r")).status).toBe(426);
      const ann = await socket("/?room=lobby&user=ann");
      const bob = await socket("/?room=lobby&user=bob");
      expect(await ann.received(1)).toEqual(["bob joined"]);
      bob.send("hello");
      expect(await ann.received(2)).toEqual(["bob joined", "bob: hello"]);
      expect(await bob.received(1)).toEqual(["bob: hello"]);
      ann.send("who");
      expect((await ann.received(3))[2]).toBe("ann,bob");
      bob.send("ping");
      expect((await bob.received(2))[1]).toBe("pong");
      ann.close();
      bob.close();
    },
  },
];
