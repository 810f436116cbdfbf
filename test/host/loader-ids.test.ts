// What mints a new Dynamic Worker (Cloudflare bills each distinct loader id
// a day): only what is fixed at load. A loaded worker keeps its module
// globals, so a counter that goes on counting shows the same isolate served.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsApp, startHost, type TestHost } from "../helpers/host.js";

const COUNTER = `let n = 0; export default { async fetch(request) {
  if (new URL(request.url).pathname.endsWith("/out")) {
    try { await fetch("https://x.example.com/"); return new Response("allowed"); }
    catch (e) { return new Response(String(e.message)); }
  }
  return new Response(String(++n));
} };`;

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ config: { cacheTtlSeconds: 0 } });
  await host.control.rollOut("ids", jsApp(COUNTER), { outbound: { allow: ["a.example.com"] } });
});
afterAll(() => host?.dispose());

const count = async () => Number(await (await host.fetch("/apps/ids/")).text());

describe("loader ids", () => {
  it("stay the same when the allow-list or the cpuMs and subRequests limits change", async () => {
    const first = await count();
    await host.control.putApp("ids", { outbound: { allow: ["b.example.com", "c.example.com"] } });
    await host.control.putApp("ids", {
      outbound: { allow: ["b.example.com"] },
      quota: { cpuMs: 20, subRequests: 10 },
    });
    expect(await count()).toBe(first + 1);
  });

  it("an allow-list narrowed after load applies to the loaded worker's next request", async () => {
    await host.control.putApp("ids", { outbound: { allow: ["x.example.com"] } });
    const before = await count();
    // Allowed: the request leaves (and fails or not on this machine's network), the platform does not refuse it.
    expect(await (await host.fetch("/apps/ids/out")).text()).not.toMatch(/refused by the platform/);
    await host.control.putApp("ids", { outbound: { allow: ["b.example.com"] } });
    expect(await (await host.fetch("/apps/ids/out")).text()).toMatch(/outbound request refused by the platform/);
    expect(await count()).toBe(before + 1);
  });

  it("change when the app gets or loses its network, or logs, which are fixed at load", async () => {
    const before = await count();
    await host.control.putApp("ids", { outbound: "none" });
    expect(await count()).toBe(1);
    await host.control.putApp("ids", { outbound: "none", logs: true });
    expect(await count()).toBe(1);
    expect(before).toBeGreaterThan(1);
  });
});
