// The local target survives a runaway app: one app whose heap grows without
// bound aborts the whole workerd (local workerd sets no isolate heap limit;
// Cloudflare bounds each isolate at 128 MB). The target restarts it with
// the Durable Object data kept, says so in one log line naming the app, and
// the other apps answer again.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { jsApp, tempDir } from "../helpers/host.js";
import { HOST_TOKEN, startTarget, uploadHost, type Started } from "./helpers.js";

const COUNTER = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  bump() {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (n INTEGER)");
    this.ctx.storage.sql.exec("INSERT INTO hits VALUES (1)");
    return this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM hits").one().n;
  }
}
export default { async fetch(request, env) { return new Response("count=" + (await env.OBJECTS.get("c").bump())); } };`;

const RUNAWAY = `export default { fetch() {
  const keep = [];
  for (;;) keep.push(new Array(100_000).fill({ n: Math.random() }));
} };`;

const state = tempDir("dw-local-runaway-");
let t: Started;
beforeAll(async () => {
  // No RSS bound: this is about workerd dying (with one, the target restarts it first: test/local/recycle.test.ts).
  t = await startTarget({ state: state.path, quiet: true, maxWorkerdRssMb: 0 });
  await uploadHost(t, true);
  const control = new ControlClient({ url: t.target.url, token: HOST_TOKEN });
  await control.rollOut("counter", jsApp(COUNTER, { durableObject: "Counter" }));
  await control.rollOut("runaway", jsApp(RUNAWAY));
});
afterAll(async () => {
  await t?.stop();
  state.remove();
});

const count = async () =>
  (await fetch(`${t.target.url}/apps/counter/`, { signal: AbortSignal.timeout(10_000) })).text();

describe("a runaway app on the local target", () => {
  it("takes workerd down; the target restarts it with state kept, names the app, and the others answer", async () => {
    expect(await count()).toBe("count=1");
    const runaway = await fetch(`${t.target.url}/apps/runaway/`, { signal: AbortSignal.timeout(90_000) }).then(
      (r) => r.status,
      () => "no answer",
    );
    expect(runaway === "no answer" || (typeof runaway === "number" && runaway >= 500)).toBe(true);
    // Bounded: the restart takes a second or two.
    let after = "";
    for (let i = 0; i < 60 && after !== "count=2"; i++) {
      after = await count().catch(() => "");
      if (after !== "count=2") await new Promise((r) => setTimeout(r, 500));
    }
    expect(after).toBe("count=2");
    const lines = t.logs.filter((l) => /workerd stopped/.test(l));
    expect(lines).toHaveLength(1);
    expect(lines[0]).toMatch(/heap/i);
    expect(lines[0]).toMatch(/restarted with its state kept/);
    expect(lines[0]).toMatch(/likely app: 'runaway' \(script 'host'\)/);
  }, 120_000);
});
