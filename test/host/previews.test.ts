// Preview slots on the real host in workerd: a slot is its own app (own objects, own URL), the preview token
// touches only slots, the preview quota holds, deleting a preview deletes its data and nothing else, and the
// host removes a preview when its lifetime is over.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { deployToSlot } from "../../provider/control-client/preview-deploy.js";
import { derivePreviewToken } from "../../provider/shared/schema/index.js";
import { TOKEN, jsApp, refusal, startHost, type TestHost } from "../helpers/host.js";

// A key-value app: GET /?k= reads, PUT /?k=&v= writes, in object "kv"; seed(env) writes k=seeded.
const NOTES = `
import { DurableObject } from "cloudflare:workers";
export class Notes extends DurableObject {
  get(k) { return this.ctx.storage.kv.get(k) ?? null; }
  put(k, v) { this.ctx.storage.kv.put(k, v); return v; }
}
export async function seed(env) { await env.OBJECTS.get("kv").put("seeded", "yes"); }
export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    const o = env.OBJECTS.get(u.searchParams.get("o") ?? "kv");
    const k = u.searchParams.get("k");
    if (request.method === "PUT") return Response.json({ put: await o.put(k, u.searchParams.get("v")) });
    return Response.json({ value: await o.get(k) });
  },
};`;
const notes = () => jsApp(NOTES, { durableObject: "Notes" });

let host: TestHost;
let preview: ControlClient;
const get = async (url: string) => (await (await host.mf.dispatchFetch(url)).json()) as { value: string | null };
const put = (url: string) => host.mf.dispatchFetch(url, { method: "PUT" });

beforeAll(async () => {
  host = await startHost({
    config: { appsDomain: "apps.test", cacheTtlSeconds: 0, previews: { maxSlots: 5, maxObjectsPerSlot: 2 } },
  });
  preview = new ControlClient({ url: host.url.toString(), token: await derivePreviewToken(TOKEN) });
  await host.control.rollOut("notes", notes());
  await put("http://notes.apps.test/?k=owner&v=production");
});
afterAll(() => host?.dispose());

describe("a preview slot", () => {
  it("serves the app under <app>--<id>, with its own data, seeded by seed(env), at both URL forms", async () => {
    const d = await deployToSlot(preview, "pr-42", "notes", notes());
    expect(d.slot).toMatchObject({ preview: "pr-42", app: "notes", slot: "notes--pr-42" });
    expect(d.seed).toEqual({ seeded: true });
    expect(await get("http://notes--pr-42.apps.test/?k=seeded")).toEqual({ value: "yes" });
    expect(await get(`${host.url}apps/notes--pr-42/?k=seeded`)).toEqual({ value: "yes" });
    // The hook runs once per slot: a second deploy does not run it again.
    expect((await deployToSlot(preview, "pr-42", "notes", notes())).seed.seeded).toBe(false);
  });

  it("never sees production's data, and production never sees the slot's (both directions)", async () => {
    expect(await get("http://notes--pr-42.apps.test/?k=owner")).toEqual({ value: null });
    await put("http://notes--pr-42.apps.test/?k=owner&v=preview");
    expect(await get("http://notes--pr-42.apps.test/?k=owner")).toEqual({ value: "preview" });
    expect(await get("http://notes.apps.test/?k=owner")).toEqual({ value: "production" });
    expect(await get("http://notes.apps.test/?k=seeded")).toEqual({ value: null });
  });

  it("has the preview quota's per-slot caps", async () => {
    const info = await host.control.getApp("notes--pr-42");
    expect(info?.quota.maxObjects).toBe(2);
    await put("http://notes--pr-42.apps.test/?o=two&k=a&v=1");
    const third = await host.mf.dispatchFetch("http://notes--pr-42.apps.test/?o=three&k=a");
    expect(third.status).toBe(500);
    expect((await host.control.getApp("notes"))?.quota.maxObjects).toBe(100);
  });
});

describe("a hostile preview app", () => {
  // A Room namespace; /id answers the id of "lobby", /steal?id= uses an id it was given, /count counts visits.
  const ROOMS = `
import { DurableObject } from "cloudflare:workers";
export class Room extends DurableObject {
  visit() { const n = (this.ctx.storage.kv.get("n") ?? 0) + 1; this.ctx.storage.kv.put("n", n); return n; }
}
export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    try {
      if (u.pathname === "/id") return new Response(env.ROOM.idFromName("lobby").toString());
      if (u.pathname === "/steal") return Response.json({ n: await env.ROOM.get(env.ROOM.idFromString(u.searchParams.get("id"))).visit() });
      return Response.json({ n: await env.ROOM.getByName("lobby").visit() });
    } catch (e) { return new Response(String(e), { status: 403 }); }
  },
};`;
  const rooms = () => ({ ...jsApp(ROOMS), durableObjects: { ROOM: "Room" } });

  it("cannot reach production's objects with production's ids, and its own ids differ", async () => {
    await host.control.rollOut("rooms", rooms());
    await deployToSlot(preview, "pr-42", "rooms", rooms());
    const prodId = await (await host.mf.dispatchFetch("http://rooms.apps.test/id")).text();
    expect(await (await host.mf.dispatchFetch("http://rooms.apps.test/")).json()).toEqual({ n: 1 });
    expect(await (await host.mf.dispatchFetch("http://rooms--pr-42.apps.test/id")).text()).not.toBe(prodId);
    const steal = await host.mf.dispatchFetch(`http://rooms--pr-42.apps.test/steal?id=${prodId}`);
    expect([steal.status, await steal.text()]).toEqual([403, expect.stringMatching(/not an id of this namespace/)]);
    expect(await (await host.mf.dispatchFetch("http://rooms--pr-42.apps.test/")).json()).toEqual({ n: 1 });
    expect(await (await host.mf.dispatchFetch("http://rooms.apps.test/")).json()).toEqual({ n: 2 });
  });

  it("whose seed throws: the deploy says so, the slot still serves, the next deploy seeds again", async () => {
    const bad = jsApp(`export async function seed() { throw new Error("no seed today"); }
export default { fetch() { return new Response("up"); } };`);
    const e = await refusal(deployToSlot(preview, "pr-8", "flaky", bad));
    expect([e.status, e.code]).toEqual([500, "app_error"]);
    expect(e.message).toMatch(/the app's seed\(env\) threw: Error: no seed today/);
    expect(await (await host.mf.dispatchFetch("http://flaky--pr-8.apps.test/")).text()).toBe("up");
    expect((await preview.listPreviews()).slots.find((s) => s.slot === "flaky--pr-8")?.seeded).toBe(false);
    await preview.deletePreview("pr-8");
  });
});

describe("the preview token", () => {
  it("cannot list, read, change, deploy or delete production apps", async () => {
    const v = (await host.control.getApp("notes"))!.currentVersion!;
    const calls: [string, () => Promise<unknown>][] = [
      ["getPlatform", () => preview.call("getPlatform")],
      ["listApps", () => preview.listApps()],
      ["getApp", () => preview.getApp("notes")],
      ["putApp", () => preview.putApp("notes", { quota: { maxObjects: 1 } })],
      ["putApp slot", () => preview.putApp("notes--pr-42")],
      ["deploy", () => preview.deploy("notes", v, v)],
      ["rollback", () => preview.rollback("notes")],
      ["versions", () => preview.listVersions("notes")],
      ["usage", () => preview.usage("notes")],
      ["logs", () => preview.logs("notes")],
      ["deleteApp", () => preview.deleteApp("notes", "delete")],
    ];
    for (const [what, p] of calls) {
      const e = await refusal(p());
      expect([what, e.status, e.code]).toEqual([what, 403, "forbidden"]);
    }
    expect(await get("http://notes.apps.test/?k=owner")).toEqual({ value: "production" });
    expect((await host.control.getApp("notes"))?.quota.maxObjects).toBe(100);
  });

  it("can read its slots through the app routes; a wrong token is 401", async () => {
    expect((await preview.getApp("notes--pr-42"))?.name).toBe("notes--pr-42");
    const wrong = new ControlClient({ url: host.url.toString(), token: "not-the-preview-token" });
    expect((await refusal(wrong.listPreviews())).status).toBe(401);
  });
});

describe("preview ids, names and quota", () => {
  it("refuses a bad id naming what is allowed, and production names with '--'", async () => {
    const e = await refusal(preview.putPreviewApp("PR_42", "notes"));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/preview: must be 1-32 characters of a-z, 0-9 and '-'/);
    const long = await refusal(preview.putPreviewApp("p".repeat(30), "n".repeat(40)));
    expect(long.message).toMatch(/at most 63/);
    const prod = await refusal(host.control.putApp("a--b"));
    expect(prod.message).toMatch(/app: must not contain '--' \(reserved for preview slots/);
  });

  it("refuses a slot past previews.maxSlots, naming the quota, and keeps the slots it has", async () => {
    await deployToSlot(preview, "pr-7", "notes", notes());
    await deployToSlot(preview, "pr-8", "notes", notes());
    await deployToSlot(preview, "pr-9", "notes", notes());
    const e = await refusal(preview.putPreviewApp("pr-10", "notes"));
    expect([e.status, e.code]).toEqual([422, "limit_exceeded"]);
    expect(e.message).toMatch(/previews\.maxSlots is 5/);
    expect((await preview.listPreviews()).slots.map((s) => s.slot)).toEqual([
      "notes--pr-42",
      "rooms--pr-42",
      "notes--pr-7",
      "notes--pr-8",
      "notes--pr-9",
    ]);
  });

  it("deleting a preview deletes its slots and their data, and nothing else", async () => {
    await put("http://notes--pr-7.apps.test/?k=mine&v=7");
    const d = await preview.deletePreview("pr-7");
    expect(d).toMatchObject({ deleted: "pr-7", slots: ["notes--pr-7"] });
    expect(d.objects).toBeGreaterThan(0);
    expect((await host.mf.dispatchFetch("http://notes--pr-7.apps.test/?k=mine")).status).toBe(404);
    expect(await get("http://notes--pr-42.apps.test/?k=owner")).toEqual({ value: "preview" });
    expect(await get("http://notes.apps.test/?k=owner")).toEqual({ value: "production" });
    // Made again, the slot starts empty (then seeded): the old data is gone, not retained.
    await deployToSlot(preview, "pr-7", "notes", notes());
    expect(await get("http://notes--pr-7.apps.test/?k=mine")).toEqual({ value: null });
    expect((await refusal(preview.deletePreview("pr-404"))).status).toBe(404);
  });
});

describe("a preview's lifetime", () => {
  it("ends: the host's alarm removes the slot and its data", async () => {
    const short = await startHost({
      config: { appsDomain: "apps.test", cacheTtlSeconds: 0, previews: { ttlHours: 0.001 } },
    });
    try {
      await short.control.rollOut("notes", notes());
      await deployToSlot(short.control, "pr-1", "notes", notes());
      expect((await short.mf.dispatchFetch("http://notes--pr-1.apps.test/?k=seeded")).status).toBe(200);
      let slots = 1;
      for (let i = 0; i < 100 && slots > 0; i++) {
        await new Promise((r) => setTimeout(r, 200));
        slots = (await short.control.listPreviews()).slots.length;
      }
      expect(slots).toBe(0);
      expect((await short.mf.dispatchFetch("http://notes--pr-1.apps.test/?k=seeded")).status).toBe(404);
      expect((await short.control.getApp("notes--pr-1")) ?? null).toBeNull();
      expect((await short.mf.dispatchFetch("http://notes.apps.test/?k=seeded")).status).toBe(200);
    } finally {
      await short.dispose();
    }
  });
});
