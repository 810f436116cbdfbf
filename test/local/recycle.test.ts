// workerd never evicts a loaded isolate, so the local target restarts it
// once its RSS passes maxWorkerdRssMb: between requests (new ones wait, open
// ones finish), with the scripts and the Durable Object data kept. Here the
// bound is 1 MiB, so every check restarts workerd; the test waits on restart
// counts, not on time.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startLocalTarget, type LocalTarget } from "../../provider/local/index.js";
import { tempDir } from "../helpers/host.js";
import Cloudflare from "cloudflare";
import { buildUploadForm, UPLOAD_REQUEST_OPTIONS } from "../../provider/cloudflare/upload-form.js";
import { ACCOUNT, DATE, hostRequest } from "./helpers.js";

const COUNTER = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  add() { const n = (this.ctx.storage.kv.get("n") ?? 0) + 1; this.ctx.storage.kv.put("n", n); return n; }
  read() { return this.ctx.storage.kv.get("n") ?? 0; }
}
export default { async fetch(request, env) {
  const path = new URL(request.url).pathname.slice(1) || "read";
  const op = path === "slow-add" ? "add" : path;
  const n = await env.COUNTER.getByName("c")[op]();
  // Open a while after the write: a restart that did not wait for it would cut it off.
  await new Promise((r) => setTimeout(r, path === "slow-add" ? 500 : 20));
  return new Response(String(n));
} };`;

let target: LocalTarget;
let logs: string[];
const state = tempDir("dw-recycle-");
beforeAll(async () => {
  logs = [];
  target = await startLocalTarget({
    port: 0,
    state: state.path,
    quiet: true,
    maxWorkerdRssMb: 1,
    log: (l) => logs.push(l),
  });
  const cf = new Cloudflare({ apiToken: "t", baseURL: target.apiBaseUrl, maxRetries: 0 });
  const form = buildUploadForm(
    {
      main_module: "index.js",
      compatibility_date: DATE,
      bindings: [{ type: "durable_object_namespace", name: "COUNTER", class_name: "Counter" }],
      migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: ["Counter"] }] },
    },
    [{ name: "index.js", kind: "esm", content: COUNTER }],
  );
  await cf.workers.scripts.update(
    "ctr",
    { account_id: ACCOUNT, metadata: form.metadata as never, files: form.files },
    UPLOAD_REQUEST_OPTIONS as never,
  );
});
afterAll(async () => {
  await target?.close();
  state.remove();
});

describe("workerd restarts for its RSS", () => {
  it("loses no request and keeps Durable Object data across restarts", async () => {
    const start = target.recycles();
    let sent = 0;
    const answers: Promise<{ status: number; text: string }>[] = [];
    // Keep 8 requests open until workerd has restarted at least twice under them.
    while (target.recycles() < start + 2) {
      const batch = Array.from({ length: 8 }, () => hostRequest(target, "ctr.localhost", "/add"));
      answers.push(...batch);
      sent += batch.length;
      await Promise.all(batch);
    }
    const results = await Promise.all(answers);
    expect(results.filter((r) => r.status !== 200)).toEqual([]);
    // Every add landed exactly once, across the restarts.
    expect(Number((await hostRequest(target, "ctr.localhost", "/read")).text)).toBe(sent);
    expect(logs.join("\n")).toMatch(/workerd restarted at \d+ MiB RSS/);
    expect(logs.join("\n")).not.toMatch(/workerd stopped/);
  }, 60_000);

  it("a restart waits for requests open in workerd, and holds the ones that come meanwhile", async () => {
    const read = async () => Number((await hostRequest(target, "ctr.localhost", "/read")).text);
    const before = await read();
    const open = Array.from({ length: 5 }, () => hostRequest(target, "ctr.localhost", "/slow-add"));
    // Their writes have landed: all five are inside workerd, in their wait.
    while ((await read()) < before + 5);
    const recycles = target.recycles();
    const recycled = target.recycle();
    const held = Array.from({ length: 5 }, () => hostRequest(target, "ctr.localhost", "/add"));
    await recycled;
    expect(target.recycles()).toBeGreaterThan(recycles);
    const all = await Promise.all([...open, ...held]);
    expect(all.map((r) => r.status)).toEqual(Array(10).fill(200));
    expect(await read()).toBe(before + 10);
  }, 60_000);
});
