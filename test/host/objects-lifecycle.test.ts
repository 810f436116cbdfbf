// Alarms and ctx.exports of app objects on the real host: the supervisor owns each object's
// alarm (facets cannot set one) and runs the class's alarm() on the app's
// current code; an app that was deleted never has its class woken.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import { deploy, getJson, startHostileHost } from "../helpers/hostile.js";
import { REPORT_MS } from "../../provider/shared/rate-lease.js";

const BELL = `
import { DurableObject } from "cloudflare:workers";
export class Bell extends DurableObject {
  async ring(ms) { await this.ctx.storage.setAlarm(Date.now() + ms); return true; }
  alarm() { this.ctx.storage.kv.put("rang", (this.ctx.storage.kv.get("rang") ?? 0) + 1); }
  rang() { return this.ctx.storage.kv.get("rang") ?? 0; }
}
export default { async fetch(request, env) {
  const op = new URL(request.url).pathname.slice(1);
  return Response.json(await env.BELL.getByName("b")[op](1500));
} };`;

const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
let host: TestHost;
beforeAll(async () => {
  host = await startHostileHost();
});
afterAll(() => host?.dispose());

describe("alarms of app objects", () => {
  it("never wake the class of an app that was deleted, even when its data is kept", async () => {
    await deploy(host, "bells", BELL, { durableObjects: { BELL: "Bell" } });
    expect(await getJson(host, "/apps/bells/ring")).toBe(true);
    await host.control.deleteApp("bells", "retain");
    await sleep(3_000);
    // The same app again, with its kept data: the alarm that came due while it was gone did not run.
    await deploy(host, "bells", BELL, { durableObjects: { BELL: "Bell" } });
    expect(await getJson(host, "/apps/bells/rang")).toBe(0);
    // And an alarm set now rings.
    expect(await getJson(host, "/apps/bells/ring")).toBe(true);
    let rang = 0;
    for (let i = 0; i < 50 && rang === 0; i++) {
      await sleep(200);
      rang = await getJson<number>(host, "/apps/bells/rang");
    }
    expect(rang).toBe(1);
  }, 30_000);
});

describe("an alarm is a request of its app", () => {
  it("is counted against requestsPerMinute", async () => {
    await deploy(host, "counted", BELL, { durableObjects: { BELL: "Bell" } }, { quota: { requestsPerMinute: 20 } });
    expect(await getJson(host, "/apps/counted/ring")).toBe(true);
    let rang = 0;
    let calls = 0;
    for (let i = 0; i < 50 && rang === 0; i++) {
      await sleep(200);
      rang = await getJson<number>(host, "/apps/counted/rang");
      calls++;
    }
    expect(rang).toBe(1);
    // An isolate reports what it served with its next lease, or with its first request REPORT_MS after
    // its last report: after a quiet spell, one more request reports everything, the alarm included.
    await sleep(REPORT_MS + 500);
    await getJson(host, "/apps/counted/rang");
    calls++;
    let total = 0;
    for (let i = 0; i < 50 && total < 1 + calls + 1; i++) {
      if (i > 0) await sleep(100);
      total = (await host.control.usage("counted")).usage.requests.total;
    }
    expect(total).toBeGreaterThanOrEqual(1 + calls + 1);
  }, 40_000);
});

describe("one maxObjects for every class", () => {
  it("counts the objects of all classes together, and shows each class's count", async () => {
    await deploy(
      host,
      "classes",
      `import { DurableObject } from "cloudflare:workers";
      export class A extends DurableObject { hi() { return "a"; } }
      export class B extends DurableObject { hi() { return "b"; } }
      export default { async fetch(request, env) {
        const out = [];
        for (const [ns, name] of [[env.AS, "1"], [env.BS, "1"], [env.BS, "2"], [env.AS, "2"]]) {
          try { out.push(await ns.getByName(name).hi()); } catch (e) { out.push("ERR " + e.message); }
        }
        return Response.json(out);
      } };`,
      { durableObjects: { AS: "A", BS: "B" } },
      { quota: { maxObjects: 3 } },
    );
    const out = await getJson<string[]>(host, "/apps/classes/");
    expect(out.slice(0, 3)).toEqual(["a", "b", "b"]);
    expect(out[3]).toMatch(/^ERR .*maxObjects = 3/);
    const { objects } = (await host.control.usage("classes")).usage;
    expect(objects).toEqual({ count: 3, limit: 3, byClass: { A: 1, B: 2 } });
    expect((await host.control.getApp("classes"))!.objectsByClass).toEqual({ A: 1, B: 2 });
  });
});

describe("ctx.exports in an app's object", () => {
  it("says what to use instead, naming the class", async () => {
    await deploy(
      host,
      "exporter",
      `import { DurableObject } from "cloudflare:workers";
      export class Box extends DurableObject {
        peek() { try { return String(this.ctx.exports.Box); } catch (e) { return "ERR " + e.message; } }
      }
      export default { async fetch(request, env) { return Response.json(await env.BOXES.getByName("b").peek()); } };`,
      { durableObjects: { BOXES: "Box" } },
    );
    expect(await getJson(host, "/apps/exporter/")).toMatch(
      /^ERR ctx\.exports\.Box: this platform offers no ctx\.exports; declare the class as a Durable Object binding \(durableObjects: \{ BINDING: "Box" \}\)/,
    );
  });
});
