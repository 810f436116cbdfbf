// examples/live-chat through the real pulumi CLI: a Workers project folder
// (wrangler.jsonc, an HTML module, a Durable Object with WebSockets) deployed
// by `new App({ platform, source: "app" })` against a real local target.
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
if (!hasPulumi) console.warn("e2e skipped: no Pulumi CLI under .tools/pulumi/bin; run scripts/bootstrap.sh");

e2e("the live-chat example through the pulumi CLI", { timeout: 600_000 }, () => {
  const state = tempDir("dw-e2e-chat-state-");
  let target: LocalTarget;
  let stack: Stack;

  beforeAll(async () => {
    target = new LocalTarget(await freePort(), state.path);
    await target.start();
    stack = new Stack(target, join(ROOT, "examples", "live-chat"));
    stack.init();
  }, 120_000);

  afterAll(async () => {
    await target?.stop();
    stack?.remove();
    state.remove();
  });

  it("deploys the folder as its wrangler.jsonc says, serves its page and its rooms' WebSockets", async () => {
    stack.run(["up", "--yes", "--skip-preview"]);
    const base = stack.appUrl("live-chat");
    const page = await fetch(base);
    expect(page.status).toBe(200);
    expect(page.headers.get("content-type")).toMatch(/^text\/html/);
    expect(await page.text()).toContain("<title>Live chat</title>");
    const ws = new WebSocket(`${base.replace(/^http/, "ws")}rooms/e2e/ws?user=ann`);
    const first = await new Promise<string>((resolve, reject) => {
      ws.onmessage = (e) => resolve(String(e.data));
      ws.onerror = () => reject(new Error("WebSocket failed"));
      setTimeout(() => reject(new Error("no message in 10 s")), 10_000);
    });
    ws.close();
    expect(JSON.parse(first)).toEqual({ user: "ann", text: "joined" });
    // Run again: nothing to change.
    expect(stack.run(["preview", "--expect-no-changes"]).code).toBe(0);
  });
});
