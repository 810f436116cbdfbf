// The control API of the real host Worker on workerd: auth, validation,
// content addressing, optimistic concurrency, rollback, paging, retention, delete.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient, prepareVersion } from "../../provider/control-client/client.js";
import { LIMITS } from "../../provider/shared/schema/index.js";
import { sha256Hex } from "../../provider/shared/version-hash.js";
import { jsApp, refusal, startHost, type TestHost, TOKEN } from "../helpers/host.js";

let host: TestHost;
beforeAll(async () => {
  host = await startHost({
    config: { versionsKept: 3, limits: { maxApps: 12, maxQuota: { maxObjects: 50 } } },
  });
});
afterAll(() => host?.dispose());

const hello = (body: string) => jsApp(`export default { fetch() { return new Response(${JSON.stringify(body)}); } };`);

describe("auth", () => {
  it("refuses a missing token with 401 and a JSON error", async () => {
    const res = await host.fetch("/_control/v1/apps");
    expect(res.status).toBe(401);
    expect(res.headers.get("www-authenticate")).toBe("Bearer");
    const body = (await res.json()) as { error: { code: string } };
    expect(body.error.code).toBe("unauthorized");
  });

  it("refuses a wrong token, a near miss and a non-bearer scheme, without echoing the token", async () => {
    for (const header of [
      `Bearer ${TOKEN}x`,
      `Bearer ${TOKEN.slice(0, -1)}`,
      `Basic ${TOKEN}`,
      `Bearer  ${TOKEN}`,
      "Bearer ",
    ]) {
      const res = await host.fetch("/_control/v1/apps", { headers: { authorization: header } });
      expect(res.status, header).toBe(401);
      const text = await res.text();
      expect(text).not.toContain(TOKEN.slice(5, 20));
    }
  });

  it("accepts the right token", async () => {
    const res = await host.fetch("/_control/v1/apps", { headers: { authorization: `Bearer ${TOKEN}` } });
    expect(res.status).toBe(200);
  });

  it("is disabled (503) when the host has no token bound", async () => {
    const bare = await startHost({ token: null });
    try {
      const res = await bare.fetch("/_control/v1/apps", { headers: { authorization: "Bearer " } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string } }).error.code).toBe("control_disabled");
    } finally {
      await bare.dispose();
    }
  });

  it("the client's errors never hold the token", async () => {
    const wrong = new ControlClient({ url: host.url.toString(), token: "secret-wrong-token-abc" });
    const e = await refusal(wrong.listApps());
    expect(e.status).toBe(401);
    expect(e.message).not.toContain("secret-wrong-token-abc");
  });
});

describe("validation: every failing field is named and nothing changes", () => {
  it("refuses bad app names", async () => {
    for (const name of ["Todo", "1app", "a_b", "www", "app-", "a".repeat(64), "caf%C3%A9"]) {
      const e = await refusal(host.control.putApp(name));
      expect(e.status, name).toBe(400);
      expect(e.issues[0]?.path, name).toBe("app");
    }
  });

  it("refuses bad versions with one issue per field", async () => {
    await host.control.putApp("val");
    const bad = {
      mainModule: "main.js",
      modules: {
        "../escape.js": { type: "js", content: "" },
        "/abs.js": { type: "js", content: "" },
        "__dw_main.js": { type: "js", content: "" },
        "a/./b.js": { type: "js", content: "" },
        "blob.bin": { type: "wasm", content: "not base64!" },
        "data.json": { type: "json", content: "{nope" },
        "x.js": { type: "exe", content: "" },
      },
      compatibilityDate: "2026-02-30",
      compatibilityFlags: ["Bad-Flag"],
      durableObject: "not a class",
      env: { OBJECTS: "x", "1x": "y" },
      extra: true,
    };
    const e = await refusal(host.control.request("POST", "/apps/val/versions", bad));
    expect(e.status).toBe(400);
    const paths = e.issues.map((i) => i.path);
    for (const p of [
      'modules["../escape.js"]',
      'modules["/abs.js"]',
      'modules["__dw_main.js"]',
      'modules["a/./b.js"]',
      'modules["blob.bin"].content',
      'modules["data.json"].content',
      'modules["x.js"].type',
      "compatibilityDate",
      "compatibilityFlags[0]",
      "durableObject",
      "env.OBJECTS",
      'env["1x"]',
    ]) {
      expect(paths, p).toContain(p);
    }
    expect(e.message).toMatch(/extra/);
    expect((await host.control.listVersions("val")).versions).toEqual([]);
  });

  it("refuses a version naming a flag workerd does not know, or an experimental one, naming each", async () => {
    await host.control.putApp("flags");
    const e = await refusal(
      host.control.request("POST", "/apps/flags/versions", {
        ...hello("x"),
        compatibilityFlags: ["nodejs_compat", "made_up_flag", "experimental"],
      }),
    );
    expect(e.status).toBe(400);
    expect(e.issues).toEqual([
      { path: "compatibilityFlags[1]", message: expect.stringMatching(/^'made_up_flag' is not a compatibility flag/) },
      { path: "compatibilityFlags[2]", message: expect.stringMatching(/^'experimental' is an experimental/) },
    ]);
  });

  it("refuses a main module that is missing or not an ES module", async () => {
    const missing = await refusal(
      host.control.request("POST", "/apps/val/versions", { ...hello("x"), mainModule: "nope.js" }),
    );
    expect(missing.issues).toEqual([
      expect.objectContaining({ path: "mainModule", message: expect.stringMatching(/not among the modules/) }),
    ]);
    const text = await refusal(
      host.control.request("POST", "/apps/val/versions", {
        mainModule: "a.txt",
        modules: { "a.txt": { type: "text", content: "hi" } },
        compatibilityDate: "2026-07-01",
      }),
    );
    expect(text.issues[0]).toMatchObject({ path: "mainModule", message: expect.stringMatching(/'js'/) });
  });

  it("refuses code and env over the caps, naming the cap", async () => {
    // Content over the cap, stored in pieces, then named by digest: the host sums what it stores.
    const half = (c: string) => new TextEncoder().encode(c.repeat(LIMITS.maxCodeBytes / 2 + 1));
    const [a, b] = [half("x"), half("y")];
    const [shaA, shaB] = [await sha256Hex(a), await sha256Hex(b)];
    expect(
      await host.control.uploadContents(
        "val",
        new Map([
          [shaA, a],
          [shaB, b],
        ]),
      ),
    ).toBe(true);
    const e = await refusal(
      host.control.request("POST", "/apps/val/versions", {
        ...hello("x"),
        modules: {
          "index.js": { type: "js", content: "export default {}" },
          "a.txt": { type: "text", sha256: shaA },
          "b.txt": { type: "text", sha256: shaB },
        },
      }),
    );
    expect(e.issues[0]).toMatchObject({
      path: "modules",
      message: expect.stringContaining(String(LIMITS.maxCodeBytes)),
    });
    const env = await refusal(
      host.control.request("POST", "/apps/val/versions", {
        ...hello("x"),
        env: { BIG: "y".repeat(LIMITS.maxEnvBytes) },
      }),
    );
    expect(env.issues[0]).toMatchObject({ path: "env", message: expect.stringContaining(String(LIMITS.maxEnvBytes)) });
    expect((await host.control.listVersions("val")).versions).toEqual([]);
  });

  it("refuses malformed JSON and unknown settings fields", async () => {
    const res = await host.fetch("/_control/v1/apps/val", {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: "{not json",
    });
    expect(res.status).toBe(400);
    const e = await refusal(
      host.control.request("PUT", "/apps/val", {
        quota: { maxObjects: -1, bogus: 1 },
        outbound: { allow: ["http://x.com"] },
      }),
    );
    const paths = e.issues.map((i) => i.path);
    expect(paths).toEqual(expect.arrayContaining(["quota.maxObjects", "outbound.allow[0]"]));
  });

  it("answers unknown routes and methods with JSON errors", async () => {
    const none = await refusal(host.control.request("GET", "/nope"));
    expect(none.status).toBe(404);
    expect(none.body.message).toBe("no control route GET /_control/v1/nope");
    const method = await refusal(host.control.request("PATCH", "/apps/val"));
    expect(method.status).toBe(405);
    expect(method.body.message).toBe("PATCH is not allowed here; use PUT, GET, DELETE");
  });

  it("names the failing query fields and path parameters", async () => {
    const list = await refusal(host.control.request("GET", "/apps?limit=0"));
    expect(list.issues.map((i) => i.path)).toEqual(["query.limit"]);
    const del = await refusal(host.control.request("DELETE", "/apps/val?data=all"));
    expect([del.status, del.issues.map((i) => i.path)]).toEqual([400, ["query.data"]]);
    const hash = await refusal(host.control.getVersion("val", "nothex"));
    expect([hash.status, hash.issues.map((i) => i.path)]).toEqual([400, ["versionHash"]]);
  });
});

describe("versions", () => {
  it("returns the hash the client predicted, and stores each content once", async () => {
    await host.control.putApp("hash");
    const prepared = await prepareVersion(hello("one"));
    const first = await host.control.putVersion("hash", prepared);
    expect(first).toEqual({ versionHash: prepared.versionHash, created: true });
    expect(await host.control.putVersion("hash", prepared)).toEqual({
      versionHash: prepared.versionHash,
      created: false,
    });
    const sha = prepared.manifest.modules["index.js"]!.sha256;
    expect(await host.control.missingModules("hash", [sha, "0".repeat(64)])).toEqual(["0".repeat(64)]);
    // A second version reusing the module by digest only.
    const second = await prepareVersion({ ...hello("one"), env: { MODE: "b" } });
    const put = await host.control.request<{ versionHash: string }>("POST", "/apps/hash/versions", {
      ...second.spec,
      modules: { "index.js": { type: "js", sha256: sha } },
    });
    expect(put.versionHash).toBe(second.versionHash);
    const detail = (await host.control.getVersion("hash", second.versionHash)).version;
    expect(detail.contents?.["index.js"]?.content).toBe(prepared.spec.modules["index.js"]!.content);
  });

  it("refuses a digest-only module the host does not store", async () => {
    const e = await refusal(
      host.control.request("POST", "/apps/hash/versions", {
        ...hello("x"),
        modules: { "index.js": { type: "js", sha256: "1".repeat(64) } },
      }),
    );
    expect(e.issues[0]?.path).toBe('modules["index.js"]');
  });

  it("splits a module over the 2 MB row limit across rows and reads it back whole", async () => {
    await host.control.putApp("large");
    const blob = Array.from({ length: 3 * 1024 * 1024 }, (_, i) => String.fromCharCode(97 + (i % 26))).join("");
    const bytes = new Uint8Array(2_500_000).map((_, i) => (i * 7) % 256);
    const spec = {
      ...hello("x"),
      modules: {
        "index.js": {
          type: "js" as const,
          content: `import t from "./big.txt"; import b from "./bin.dat"; export default { fetch() { return new Response(t.length + ":" + b.byteLength + ":" + new Uint8Array(b)[1000]); } };`,
        },
        "big.txt": { type: "text" as const, content: blob },
        "bin.dat": { type: "data" as const, content: Buffer.from(bytes).toString("base64") },
      },
    };
    const out = await host.control.rollOut("large", spec);
    const detail = (await host.control.getVersion("large", out.versionHash)).version;
    expect(detail.contents?.["big.txt"]?.content).toBe(blob);
    expect(detail.contents?.["bin.dat"]?.content).toBe(spec.modules["bin.dat"].content);
    const res = await host.fetch("/apps/large/");
    expect(await res.text()).toBe(`${blob.length}:2500000:${(1000 * 7) % 256}`);
  });

  it("keeps the newest versionsKept versions plus the current one, and drops their unused modules", async () => {
    await host.control.putApp("keep");
    const v = [];
    for (let i = 0; i < 5; i++) v.push(await prepareVersion(hello(`v${i}`)));
    await host.control.putVersion("keep", v[0]!);
    await host.control.deploy("keep", v[0]!.versionHash, null);
    for (const p of v.slice(1)) await host.control.putVersion("keep", p);
    const kept = (await host.control.listVersions("keep")).versions.map((x) => x.versionHash);
    expect(kept).toEqual([v[4]!.versionHash, v[3]!.versionHash, v[2]!.versionHash, v[0]!.versionHash]);
    const sha1 = v[1]!.manifest.modules["index.js"]!.sha256;
    expect(await host.control.missingModules("keep", [sha1])).toEqual([sha1]);
  });
});

describe("deploy, conflicts, rollback", () => {
  it("deploys with optimistic concurrency and says which version is current on a conflict", async () => {
    await host.control.putApp("occ");
    const a = await prepareVersion(hello("A"));
    const b = await prepareVersion(hello("B"));
    await host.control.putVersion("occ", a);
    await host.control.putVersion("occ", b);
    expect((await host.control.deploy("occ", a.versionHash, null)).changed).toBe(true);
    const e = await refusal(host.control.deploy("occ", b.versionHash, null));
    expect(e.status).toBe(409);
    expect(e.body.current).toBe(a.versionHash);
    // Retrying a deploy that already happened is harmless.
    expect((await host.control.deploy("occ", a.versionHash, null)).changed).toBe(false);
    await host.control.deploy("occ", b.versionHash, a.versionHash);
    expect(await (await host.fetch("/apps/occ/")).text()).toBe("B");
    const unknown = await refusal(host.control.deploy("occ", "2".repeat(64), b.versionHash));
    expect(unknown.status).toBe(404);
  });

  it("rolls back to the previous version, and to a named kept one", async () => {
    const back = await host.control.rollback("occ");
    expect(back.previous).not.toBe(back.versionHash);
    expect(await (await host.fetch("/apps/occ/")).text()).toBe("A");
    const info = (await host.control.getApp("occ"))!;
    const named = await host.control.rollback("occ", {
      versionHash: back.previous!,
      expectedCurrent: info.currentVersion,
    });
    expect(named.changed).toBe(true);
    expect(await (await host.fetch("/apps/occ/")).text()).toBe("B");
    const stale = await refusal(host.control.rollback("occ", { expectedCurrent: info.currentVersion }));
    expect(stale.status).toBe(409);
  });
});

describe("apps", () => {
  it("reads an app with its settings, effective quota and times", async () => {
    await host.control.putApp("info", { quota: { maxObjects: 7 }, outbound: "none" });
    const app = (await host.control.getApp("info"))!;
    expect(app).toMatchObject({ name: "info", currentVersion: null });
    expect(app.settings).toEqual({ quota: { maxObjects: 7 }, outbound: "none", logs: false, crons: [] });
    expect(app.quota).toMatchObject({ maxObjects: 7, requestsPerMinute: 6000 });
    expect(Date.parse(app.createdAt)).toBeGreaterThan(0);
    expect(await host.control.getApp("never-made")).toBeNull();
  });

  it("refuses a quota above the platform ceiling with 422 naming field, value and ceiling", async () => {
    const e = await refusal(host.control.putApp("greedy", { quota: { maxObjects: 51 } }));
    expect(e.status).toBe(422);
    expect(e.issues).toEqual([{ path: "quota.maxObjects", message: "51 is above the platform ceiling of 50" }]);
    expect(await host.control.getApp("greedy")).toBeNull();
  });

  it("lists apps in pages", async () => {
    const names: string[] = [];
    let cursor: string | undefined;
    do {
      const page = await host.control.listApps({ limit: 2, cursor });
      expect(page.apps.length).toBeLessThanOrEqual(2);
      names.push(...page.apps.map((a) => a.name));
      cursor = page.cursor ?? undefined;
    } while (cursor);
    expect(names).toEqual([...names].sort());
    expect(names).toEqual(expect.arrayContaining(["hash", "info", "keep", "large", "occ", "val"]));
    expect(new Set(names).size).toBe(names.length);
  });

  it("refuses an app past maxApps with 422", async () => {
    const { total } = await host.control.listApps();
    for (let i = total; i < 12; i++) await host.control.putApp(`fill-${i}`);
    const e = await refusal(host.control.putApp("one-too-many"));
    expect(e.status).toBe(422);
    expect(e.issues[0]?.path).toBe("limits.maxApps");
    await host.control.deleteApp("fill-11");
    await host.control.putApp("one-too-many");
  });
});
