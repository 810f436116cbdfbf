// The local target takes every metadata shape and field Cloudflare's API
// takes (the SDK's ScriptUpdateParams is the reference), stores the binding
// kinds it does not run, and refuses what Cloudflare refuses: its size
// limits with its codes. Real target over HTTP, real `cloudflare` SDK.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ACCOUNT, DATE, esm, hostRequest, refusal, startTarget, uploadUnchecked, type Started } from "./helpers.js";

const WORKER = `
import { DurableObject } from "cloudflare:workers";
export class T extends DurableObject {}
export default { fetch(_req, env) { return new Response("kv:" + typeof env.KV + " v:" + env.V); } };`;

let t: Started;
beforeAll(async () => {
  t = await startTarget({ quiet: true });
});
afterAll(() => t?.stop());

const base = { main_module: "index.js", compatibility_date: DATE };

async function settings(name: string) {
  return t.cf.workers.scripts.scriptAndVersionSettings.get(name, { account_id: ACCOUNT });
}

describe("metadata Cloudflare accepts", () => {
  it("takes the single-step migration form and the fields the SDK lists, and reports them back", async () => {
    const metadata = {
      ...base,
      migrations: { new_tag: "v1", new_sqlite_classes: ["T"] },
      observability: { enabled: true, head_sampling_rate: 0.5 },
      limits: { cpu_ms: 50 },
      placement: { mode: "smart" },
      tail_consumers: [{ service: "tail-worker" }],
      usage_model: "standard",
      logpush: true,
      annotations: { "workers/message": "deploy 1" },
      tags: ["team-a"],
      bindings: [
        { type: "plain_text", name: "V", text: "one" },
        { type: "kv_namespace", name: "KV", namespace_id: "0123" },
        { type: "r2_bucket", name: "R2", bucket_name: "b", jurisdiction: "eu" },
        { type: "d1", name: "DB", database_id: "d" },
        { type: "service", name: "SVC", service: "other", entrypoint: "E" },
        { type: "queue", name: "Q", queue_name: "q" },
        { type: "ratelimit", name: "RL", namespace_id: "1", simple: { limit: 10, period: 60 } },
        { type: "analytics_engine", name: "AE", dataset: "ds" },
        { type: "durable_object_namespace", name: "T", class_name: "T" },
      ],
    };
    const res = await uploadUnchecked(t.cf, "full", metadata, esm(WORKER));
    expect(res).toMatchObject({ migration_tag: "v1", logpush: true, placement: { mode: "smart" } });
    // Stored kinds are not run: the Worker starts and serves without them.
    expect((await hostRequest(t.target, "full.localhost")).text).toBe("kv:undefined v:one");
    const s = await settings("full");
    expect(s).toMatchObject({
      logpush: true,
      usage_model: "standard",
      limits: { cpu_ms: 50 },
      observability: { enabled: true, head_sampling_rate: 0.5 },
      tail_consumers: [{ service: "tail-worker" }],
    });
    const byName = Object.fromEntries((s.bindings ?? []).map((b) => [b.name, b]));
    expect(byName.KV).toEqual({ type: "kv_namespace", name: "KV", namespace_id: "0123" });
    expect(byName.R2).toEqual({ type: "r2_bucket", name: "R2", bucket_name: "b", jurisdiction: "eu" });
    expect(byName.RL).toMatchObject({ type: "ratelimit", simple: { limit: 10, period: 60 } });
    expect(t.logs.join("\n")).toMatch(/full: bindings stored but not run locally: KV \(kv_namespace\)/);
    const ns = (await t.cf.durableObjects.namespaces.list({ account_id: ACCOUNT })).result.filter(
      (n) => n.script === "full",
    );
    expect(ns).toMatchObject([{ class: "T", use_sqlite: true }]);
  });

  it("resolves an inherit binding from the previous version, under its new name", async () => {
    await uploadUnchecked(
      t.cf,
      "inh",
      { ...base, bindings: [{ type: "plain_text", name: "OLD", text: "kept" }] },
      esm(WORKER),
    );
    await uploadUnchecked(
      t.cf,
      "inh",
      { ...base, bindings: [{ type: "inherit", name: "V", old_name: "OLD" }] },
      esm(WORKER),
    );
    expect((await hostRequest(t.target, "inh.localhost")).text).toBe("kv:undefined v:kept");
    expect((await settings("inh")).bindings).toEqual([{ type: "plain_text", name: "V", text: "kept" }]);
  });

  it("transfers a class, with its namespace id, from another script (transferred_classes)", async () => {
    await uploadUnchecked(
      t.cf,
      "src",
      { ...base, migrations: { new_tag: "v1", new_sqlite_classes: ["T"] } },
      esm(WORKER),
    );
    const list = async () => (await t.cf.durableObjects.namespaces.list({ account_id: ACCOUNT })).result;
    const before = (await list()).find((n) => n.script === "src" && n.class === "T")!;
    await uploadUnchecked(
      t.cf,
      "dst",
      {
        ...base,
        migrations: { new_tag: "v1", transferred_classes: [{ from: "T", from_script: "src", to: "T" }] },
      },
      esm(WORKER),
    );
    const after = await list();
    expect(after.find((n) => n.script === "dst" && n.class === "T")?.id).toBe(before.id);
    expect(after.some((n) => n.script === "src")).toBe(false);
  });
});

describe("metadata Cloudflare refuses", () => {
  const cases: [string, unknown, RegExp][] = [
    [
      "steps and top-level step fields together",
      { ...base, migrations: { new_tag: "v1", new_classes: ["T"], steps: [{ new_classes: ["T"] }] } },
      /metadata\.migrations\.new_classes: give either steps .* not both/,
    ],
    [
      "a stored binding kind without its required field",
      { ...base, bindings: [{ type: "kv_namespace", name: "KV" }] },
      /metadata\.bindings\[0\]\.namespace_id/,
    ],
    ["an unknown binding type", { ...base, bindings: [{ type: "kv_store", name: "K" }] }, /unknown binding type/],
    ["a usage_model Cloudflare does not know", { ...base, usage_model: "premium" }, /metadata\.usage_model/],
    ["a placement of no known form", { ...base, placement: { mode: "fast" } }, /metadata\.placement/],
    ["limits.cpu_ms over 300,000", { ...base, limits: { cpu_ms: 300_001 } }, /metadata\.limits\.cpu_ms/],
    ["a service-worker script (body_part)", { body_part: "script", compatibility_date: DATE }, /body_part/],
    [
      "an inherit binding with nothing to inherit",
      { ...base, bindings: [{ type: "inherit", name: "GONE" }] },
      /'GONE' inherits 'GONE', but the previous version .* has no binding/,
    ],
    [
      "an environment variable over 5 KB",
      { ...base, bindings: [{ type: "plain_text", name: "BIG", text: "x".repeat(5 * 1024 + 1) }] },
      /'BIG' \(plain_text\) is 5121 bytes; .* at most 5 KB/,
    ],
    [
      "more than 128 environment variables",
      { ...base, bindings: Array.from({ length: 129 }, (_, i) => ({ type: "plain_text", name: `V${i}`, text: "x" })) },
      /129 environment variables .* at most 128/,
    ],
  ];
  it.each(cases)("refuses %s with 400 / 10021, naming the field", async (_what, metadata, message) => {
    const r = await refusal(uploadUnchecked(t.cf, "bad", metadata, esm(WORKER)));
    expect(r).toMatchObject({ status: 400, codes: [10021] });
    expect(r.message).toMatch(message);
    expect((await t.cf.workers.scripts.list({ account_id: ACCOUNT })).result.some((s) => s.id === "bad")).toBe(false);
  });

  it("refuses a Worker over 64 MiB uncompressed with 10027, and takes one at the limit", async () => {
    const main = "export default { fetch() { return new Response('ok'); } };";
    const filler = (n: number) => [{ name: "blob.bin", kind: "data" as const, content: new Uint8Array(n) }];
    const limit = 64 * 1024 * 1024;
    const over = await refusal(
      uploadUnchecked(t.cf, "huge", base, [...esm(main), ...filler(limit - main.length + 1)] as never),
    );
    expect(over).toMatchObject({ status: 400, codes: [10027] });
    expect(over.message).toMatch(/exceeded the size limit of 64 MiB.*64\.00 MiB.*largest: 'blob\.bin'/);
    await uploadUnchecked(t.cf, "huge", base, [...esm(main), ...filler(limit - main.length)] as never);
    expect((await hostRequest(t.target, "huge.localhost")).text).toBe("ok");
  });

  it("refuses a request without credentials with 400 / 9106, as Cloudflare does", async () => {
    const res = await fetch(`${t.target.apiBaseUrl}/accounts/${ACCOUNT}/workers/scripts`);
    expect(res.status).toBe(400);
    expect(((await res.json()) as { errors: { code: number }[] }).errors[0]!.code).toBe(9106);
  });
});
