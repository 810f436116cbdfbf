// Every API route the Platform uses, called through the official `cloudflare`
// SDK pointed at the local target, with the requests on the wire checked.
import type Cloudflare from "cloudflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ScriptMetadata } from "../../provider/cloudflare/metadata.js";
import { ACCOUNT, DATE, esm, refusal, startTarget, upload, type Started } from "./helpers.js";

type ScriptDeleteParams = Cloudflare.Workers.Scripts.ScriptDeleteParams;
type SubdomainCreateParams = Cloudflare.Workers.Scripts.SubdomainCreateParams;
type NamespaceListParams = Cloudflare.DurableObjects.NamespaceListParams;

const COUNTER = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {}
export class Room extends DurableObject {}
export default { fetch(request, env) { return Response.json({ greeting: env.GREETING, config: env.CONFIG, secret: env.SECRET }); } };`;

const META: ScriptMetadata = {
  main_module: "index.js",
  compatibility_date: DATE,
  compatibility_flags: ["nodejs_compat"],
  bindings: [
    { type: "worker_loader", name: "LOADER" },
    { type: "durable_object_namespace", name: "COUNTER", class_name: "Counter" },
    { type: "secret_text", name: "SECRET", text: "s3cret" },
    { type: "plain_text", name: "GREETING", text: "hi" },
    { type: "json", name: "CONFIG", json: { a: 1 } },
  ],
  migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: ["Counter"], new_classes: ["Room"] }] },
};

let t: Started;
beforeAll(async () => {
  t = await startTarget();
});
afterAll(() => t?.stop());

describe("script upload", () => {
  it("takes the multipart upload the SDK sends and answers Cloudflare's envelope", async () => {
    const result = await upload(t.cf, "api-one", META, esm(COUNTER));
    expect(result).toMatchObject({ id: "api-one", migration_tag: "v1", compatibility_date: DATE, has_modules: true });
    expect(typeof result.startup_time_ms).toBe("number");
    const req = t.requests.at(-1)!;
    expect(req).toMatchObject({
      method: "PUT",
      path: `/client/v4/accounts/${ACCOUNT}/workers/scripts/api-one`,
      authorization: "Bearer local-test-token",
    });
    expect(req.contentType).toMatch(/^multipart\/form-data; boundary=/);
    expect(req.parts).toEqual([
      { field: "metadata", filename: "metadata.json", type: "application/json" },
      { field: "files[]", filename: "index.js", type: "application/javascript+module" },
    ]);
    expect(
      t.logs.some((l) => /^PUT \/client\/v4\/accounts\/local-account\/workers\/scripts\/api-one 200 \d+ms$/.test(l)),
    ).toBe(true);
  });

  it("lists scripts with their migration tag", async () => {
    const page = await t.cf.workers.scripts.list({ account_id: ACCOUNT });
    const one = page.result.find((s) => s.id === "api-one");
    expect(one).toMatchObject({
      id: "api-one",
      migration_tag: "v1",
      compatibility_date: DATE,
      compatibility_flags: ["nodejs_compat"],
    });
    expect(t.requests.at(-1)).toMatchObject({ method: "GET", path: `/client/v4/accounts/${ACCOUNT}/workers/scripts` });
  });

  it("reports settings with bindings, a secret's text left out", async () => {
    const settings = await t.cf.workers.scripts.scriptAndVersionSettings.get("api-one", { account_id: ACCOUNT });
    expect(settings.compatibility_date).toBe(DATE);
    expect(settings.compatibility_flags).toEqual(["nodejs_compat"]);
    const bindings = settings.bindings as unknown as Record<string, unknown>[];
    expect(bindings.find((b) => b.name === "SECRET")).toEqual({ type: "secret_text", name: "SECRET" });
    expect(bindings.find((b) => b.name === "GREETING")).toEqual({ type: "plain_text", name: "GREETING", text: "hi" });
    expect(bindings.find((b) => b.name === "CONFIG")).toEqual({ type: "json", name: "CONFIG", json: { a: 1 } });
    expect(bindings.find((b) => b.name === "LOADER")).toEqual({ type: "worker_loader", name: "LOADER" });
    expect(bindings.find((b) => b.name === "COUNTER")).toMatchObject({
      type: "durable_object_namespace",
      class_name: "Counter",
      namespace_id: expect.stringMatching(/^[0-9a-f]{32}$/),
    });
    expect(t.requests.at(-1)).toMatchObject({
      method: "GET",
      path: `/client/v4/accounts/${ACCOUNT}/workers/scripts/api-one/settings`,
    });
    const scriptSettings = await t.cf.workers.scripts.settings.get("api-one", { account_id: ACCOUNT });
    expect(scriptSettings).toMatchObject({ logpush: false });
  });

  it("gives the script's modules back", async () => {
    const body = await t.cf.workers.scripts.get("api-one", { account_id: ACCOUNT });
    expect(String(body)).toContain("export class Counter");
  });

  it("keeps secret_text bindings with keep_bindings, as Cloudflare does", async () => {
    const { bindings, migrations: _m, ...rest } = META;
    const next: ScriptMetadata = {
      ...rest,
      bindings: bindings!.filter((b) => b.type !== "secret_text"),
      keep_bindings: ["secret_text"],
    };
    await upload(t.cf, "api-one", next, esm(COUNTER));
    const settings = await t.cf.workers.scripts.scriptAndVersionSettings.get("api-one", { account_id: ACCOUNT });
    expect((settings.bindings as { name: string }[]).map((b) => b.name).sort()).toEqual([
      "CONFIG",
      "COUNTER",
      "GREETING",
      "LOADER",
      "SECRET",
    ]);
  });
});

describe("durable object namespaces", () => {
  it("lists one namespace per migrated class, paginated as the SDK reads it", async () => {
    const all: Cloudflare.DurableObjects.Namespace[] = [];
    const params: NamespaceListParams = { account_id: ACCOUNT, per_page: 1 };
    for await (const ns of t.cf.durableObjects.namespaces.list(params)) all.push(ns);
    const mine = all.filter((ns) => ns.script === "api-one");
    expect(mine.map((ns) => [ns.class, ns.use_sqlite, ns.name]).sort()).toEqual([
      ["Counter", true, "api-one_Counter"],
      ["Room", false, "api-one_Room"],
    ]);
    expect(t.requests.at(-1)!.query).toContain("page=");
    const again = await t.cf.durableObjects.namespaces.list({ account_id: ACCOUNT });
    expect(
      again.result
        .filter((ns) => ns.script === "api-one")
        .map((ns) => ns.id)
        .sort(),
    ).toEqual(mine.map((ns) => ns.id).sort());
  });
});

describe("workers.dev subdomain", () => {
  it("enables, reads and disables a script's subdomain", async () => {
    const params: SubdomainCreateParams = { account_id: ACCOUNT, enabled: true };
    expect(await t.cf.workers.scripts.subdomain.create("api-one", params)).toEqual({
      enabled: true,
      previews_enabled: true,
    });
    expect(t.requests.at(-1)).toMatchObject({
      method: "POST",
      path: `/client/v4/accounts/${ACCOUNT}/workers/scripts/api-one/subdomain`,
      contentType: "application/json",
    });
    expect(await t.cf.workers.scripts.subdomain.get("api-one", { account_id: ACCOUNT })).toEqual({
      enabled: true,
      previews_enabled: true,
    });
    expect(await t.cf.workers.scripts.subdomain.delete("api-one", { account_id: ACCOUNT })).toEqual({
      enabled: false,
      previews_enabled: false,
    });
    expect(await t.cf.workers.subdomains.get({ account_id: ACCOUNT })).toEqual({ subdomain: "local" });
  });

  it("refuses a body without enabled", async () => {
    const r = await refusal(
      t.cf.workers.scripts.subdomain.create("api-one", { account_id: ACCOUNT } as SubdomainCreateParams),
    );
    expect(r).toMatchObject({ status: 400 });
    expect(r.message).toMatch(/enabled/);
  });
});

describe("tokens and errors", () => {
  it("verifies any non-empty token", async () => {
    expect(await t.cf.user.tokens.verify()).toEqual({ id: "local", status: "active" });
  });

  it("refuses a request without a token as Cloudflare does", async () => {
    const res = await fetch(`${t.target.apiBaseUrl}/user/tokens/verify`);
    expect(res.status).toBe(400);
    expect(await res.json()).toEqual({
      success: false,
      errors: [{ code: 9106, message: "Missing X-Auth-Key, X-Auth-Email or Authorization headers" }],
      messages: [],
      result: null,
    });
    const empty = await fetch(`${t.target.apiBaseUrl}/accounts/${ACCOUNT}/workers/scripts`, {
      headers: { authorization: "Bearer " },
    });
    expect(empty.status).toBe(400);
    expect(((await empty.json()) as { errors: { code: number }[] }).errors[0]!.code).toBe(6003);
  });

  it("names the method and route it does not serve, never a silent success", async () => {
    const r = await refusal(t.cf.workers.scripts.secrets.list("api-one", { account_id: ACCOUNT }));
    expect(r).toMatchObject({ status: 404, codes: [7000] });
    expect(r.message).toContain(`GET /client/v4/accounts/${ACCOUNT}/workers/scripts/api-one/secrets`);
    const res = await fetch(`${t.target.apiBaseUrl}/accounts/${ACCOUNT}/workers/scripts/api-one`, {
      method: "PATCH",
      headers: { authorization: "Bearer x" },
    });
    expect(res.status).toBe(404);
    expect(JSON.stringify(await res.json())).toContain("PATCH /client/v4/accounts");
  });

  it("answers 404 with code 10007 for a script that does not exist", async () => {
    expect(
      await refusal(t.cf.workers.scripts.scriptAndVersionSettings.get("nope", { account_id: ACCOUNT })),
    ).toMatchObject({ status: 404, codes: [10007] });
    expect(await refusal(t.cf.workers.scripts.delete("nope", { account_id: ACCOUNT }))).toMatchObject({
      status: 404,
      codes: [10007],
    });
  });
});

describe("script delete", () => {
  it("refuses without force while another script binds its classes, and deletes with force", async () => {
    await upload(
      t.cf,
      "api-user",
      {
        main_module: "index.js",
        compatibility_date: DATE,
        bindings: [{ type: "durable_object_namespace", name: "OTHER", class_name: "Counter", script_name: "api-one" }],
      },
      esm("export default { fetch() { return new Response('user'); } };"),
    );
    const r = await refusal(t.cf.workers.scripts.delete("api-one", { account_id: ACCOUNT }));
    expect(r.status).toBe(400);
    expect(r.message).toMatch(/api-user/);
    const params: ScriptDeleteParams = { account_id: ACCOUNT, force: true };
    expect(await t.cf.workers.scripts.delete("api-one", params)).toBeNull();
    expect(t.requests.at(-1)).toMatchObject({
      method: "DELETE",
      path: `/client/v4/accounts/${ACCOUNT}/workers/scripts/api-one`,
      query: "?force=true",
    });
    const names = (await t.cf.workers.scripts.list({ account_id: ACCOUNT })).result.map((s) => s.id);
    expect(names).not.toContain("api-one");
    const ns = (await t.cf.durableObjects.namespaces.list({ account_id: ACCOUNT })).result;
    expect(ns.filter((n) => n.script === "api-one")).toEqual([]);
    await t.cf.workers.scripts.delete("api-user", { account_id: ACCOUNT });
  });
});
