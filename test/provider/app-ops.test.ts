// Every method of the App provider against the real host on workerd, over
// real HTTP: create, update, drift, conflicts, retries, delete.
import { mkdirSync, writeFileSync } from "node:fs";
import { createServer, type Server } from "node:http";
import { join, relative } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { checkApp, diffApp } from "../../provider/resources/app/check.js";
import { createApp, deleteApp, readApp, updateApp } from "../../provider/resources/app/ops.js";
import type { AppCode, AppControlAccess, AppSettingsState, AppState } from "../../provider/resources/app/state.js";
import { ModuleCache, bundleApp } from "../../provider/bundle/bundle-app.js";
import { prepareVersion } from "../../provider/control-client/client.js";
import { SECRETS_KEY, TOKEN, startHost, tempDir, type TestHost } from "../helpers/host.js";

const cache = tempDir("dw-cache-");
process.env.DYNAMIC_WORKERS_CACHE = cache.path;

let host: TestHost;
beforeAll(async () => {
  host = await startHost();
});
afterAll(async () => {
  await host?.dispose();
  cache.remove();
});

const COUNTER = (tag: string) => `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  constructor(ctx, env) { super(ctx, env); ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (n INTEGER)"); }
  async fetch() {
    this.ctx.storage.sql.exec("INSERT INTO hits VALUES (1)");
    return new Response(${JSON.stringify(tag)} + " " + this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM hits").one().n);
  }
}`;

/** Per-group overrides of a state. */
interface Patch {
  name?: string;
  code?: Partial<AppCode>;
  settings?: Partial<AppSettingsState>;
  secrets?: Record<string, string>;
  secretsKey?: string;
  control?: Partial<AppControlAccess>;
  controlToken?: string;
}

/** `s` with the fields of `p` replaced, group by group. */
function patch(s: AppState, p: Patch): AppState {
  return {
    name: p.name ?? s.name,
    code: { ...s.code, ...p.code },
    settings: { ...s.settings, ...p.settings },
    secrets: p.secrets ?? s.secrets,
    secretsKey: p.secretsKey ?? s.secretsKey,
    control: { ...s.control, ...p.control },
    controlToken: p.controlToken ?? s.controlToken,
  };
}

/** The state App would hand the engine for this source, with the content cached as App does. */
async function state(name: string, source: string, extra: Patch = {}): Promise<AppState> {
  const sha256 = new ModuleCache(cache.path).put(source);
  const base = patch(
    {
      name,
      code: {
        versionHash: "",
        mainModule: "index.js",
        modules: { "index.js": { type: "js", sha256, size: Buffer.byteLength(source) } },
        source: null,
        compatibilityDate: "2026-07-01",
        compatibilityFlags: [],
        durableObject: "Counter",
        durableObjects: {},
        env: {},
      },
      settings: {
        quota: {},
        outbound: "none",
        logs: false,
        crons: [],
        dataOnDelete: "retain",
        tags: [],
        rollout: null,
      },
      secrets: {},
      secretsKey: "",
      control: { url: host.url.toString(), maxQuota: null },
      controlToken: TOKEN,
    },
    extra,
  );
  const withKey = Object.keys(base.secrets).length > 0 ? patch(base, { secretsKey: SECRETS_KEY }) : base;
  const { versionHash: _, source: _s, ...code } = withKey.code;
  const p = await prepareVersion(
    { ...code, modules: { "index.js": { type: "js", content: source } }, secrets: withKey.secrets },
    withKey.secretsKey || undefined,
  );
  return patch(withKey, { code: { versionHash: p.versionHash } });
}

/** A version of the Counter app as someone outside the stack would upload it. */
const outsideVersion = (source: string, secrets: Record<string, string>) =>
  prepareVersion(
    {
      mainModule: "index.js",
      modules: { "index.js": { type: "js", content: source } },
      compatibilityDate: "2026-07-01",
      durableObject: "Counter",
      secrets,
    },
    SECRETS_KEY,
  );

const get = async (app: string) => (await host.fetch(`/apps/${app}/`)).text();

describe("App provider", () => {
  it("check names every bad field", async () => {
    const s = await state("ok", COUNTER("a"));
    expect(checkApp(s)).toEqual([]);
    const failures = checkApp(
      patch(s, {
        name: "Bad Name",
        code: {
          compatibilityDate: "2026-13-01",
          compatibilityFlags: ["OK", "nodejs_compat"],
          durableObject: "1x",
          env: { "bad-name": "x", SHARED: "1" },
        },
        secrets: { SHARED: "2" },
        settings: {
          quota: { maxObjects: -1 } as never,
          outbound: { allow: ["http://evil"] },
          dataOnDelete: "sometimes" as never,
        },
      }),
    );
    expect(failures.map((f) => f.property)).toEqual([
      "name",
      "compatibilityDate",
      "compatibilityFlags[0]",
      "durableObject",
      "env.bad-name",
      "secrets.SHARED",
      "quota",
      "outbound",
      "dataOnDelete",
    ]);
    expect(checkApp(patch(s, { settings: { tags: ["disposable", "Bad Tag", "disposable"] } }))).toEqual([
      {
        property: "tags",
        reason: "[1]: must be 1-32 characters of a-z, 0-9, '-', '_', '.' and ':', starting with a letter or digit",
      },
      { property: "tags", reason: "must not repeat a tag" },
    ]);
    expect(
      checkApp(patch(s, { settings: { quota: { maxObjects: 20 } }, control: { maxQuota: { maxObjects: 10 } } })),
    ).toEqual([{ property: "quota.maxObjects", reason: "20 is above the platform ceiling of 10" }]);
  });

  it("diff: code, quota and settings update; a new name replaces", async () => {
    const a = await state("d", COUNTER("a"));
    const b = await state("d", COUNTER("b"));
    expect(diffApp(a, a)).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(diffApp(a, b)).toMatchObject({ changes: true, replaces: [] });
    expect(diffApp(a, patch(a, { settings: { quota: { maxObjects: 5 } } }))).toMatchObject({
      changes: true,
      replaces: [],
    });
    expect(diffApp(a, patch(a, { name: "e" }))).toMatchObject({ changes: true, replaces: ["name"] });
    expect(diffApp(a, patch(a, { control: { url: "http://elsewhere/_control" } }))).toMatchObject({
      changes: true,
      replaces: ["control"],
    });
    // A new token or dataOnDelete changes only state: an update that makes no host call.
    expect(diffApp(a, patch(a, { controlToken: "rotated" }))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(diffApp(a, patch(a, { settings: { dataOnDelete: "delete" } }))).toEqual({
      changes: true,
      replaces: [],
      deleteBeforeReplace: false,
    });
  });

  it("tags: a tags-only change is an update that calls no host", async () => {
    let calls = 0;
    const counter: Server = createServer((_req, res) => {
      calls++;
      res
        .writeHead(401, { "content-type": "application/json" })
        .end(JSON.stringify({ error: { code: "unauthorized", message: "counted" } }));
    });
    await new Promise<void>((ok) => counter.listen(0, "127.0.0.1", ok));
    try {
      const a = await state("tagged", COUNTER("a"), {
        control: { url: `http://127.0.0.1:${(counter.address() as { port: number }).port}` },
      });
      const b = patch(a, { settings: { tags: ["disposable"] } });
      expect(diffApp(a, b)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: false });
      expect(diffApp(b, patch(b, { settings: { tags: ["disposable", "x"] } }))).toMatchObject({
        changes: true,
        replaces: [],
      });
      expect(await updateApp(a, b)).toEqual(b);
      expect(await updateApp(b, a)).toEqual(a);
      expect(calls).toBe(0);
      // The counter does answer: a change that rolls out reaches it.
      await expect(updateApp(b, patch(b, { settings: { logs: true } }))).rejects.toThrow();
      expect(calls).toBeGreaterThan(0);
    } finally {
      await new Promise((ok) => counter.close(ok));
    }
  });

  it("create rolls out; update changes code and quota with the data kept", async () => {
    const a = await state("life", COUNTER("a"));
    await createApp(a);
    expect(await get("life")).toBe("a 1");
    const b = await state("life", COUNTER("b"), { settings: { quota: { maxObjects: 5 } } });
    await updateApp(a, b);
    expect(await get("life")).toBe("b 2");
    expect((await host.control.getApp("life"))?.quota.maxObjects).toBe(5);
    // Create again (a retried create after a lost answer) is harmless.
    await createApp(b);
  });

  it("create refuses a name that another deploy owns, changing nothing", async () => {
    await host.control.rollOut(
      "taken",
      {
        mainModule: "index.js",
        modules: {
          "index.js": { type: "js", content: "export default { fetch() { return new Response('theirs') } }" },
        },
        compatibilityDate: "2026-07-01",
      },
      { quota: { maxObjects: 1 } },
    );
    await expect(createApp(await state("taken", COUNTER("mine")))).rejects.toThrow(/already exists on the platform/);
    expect(await get("taken")).toBe("theirs");
    expect((await host.control.getApp("taken"))?.settings.quota).toEqual({ maxObjects: 1 });
  });

  it("read shows drift made outside the stack, and update refuses to overwrite it until refreshed", async () => {
    const a = await state("drift", COUNTER("a"), { secrets: { KEY: "s" } });
    await createApp(a);
    const outside = await outsideVersion(COUNTER("outside"), { KEY: "s" });
    await host.control.putVersion("drift", outside);
    await host.control.deploy("drift", outside.versionHash, a.code.versionHash);
    await host.control.putApp("drift", { quota: { maxObjects: 9 } });

    const b = await state("drift", COUNTER("b"), { secrets: { KEY: "s" } });
    await expect(updateApp(a, b)).rejects.toThrow(/changed outside this stack.*pulumi refresh/);
    expect(await get("drift")).toBe("outside 1");

    const read = (await readApp(a))!;
    expect(read.code.versionHash).toBe(outside.versionHash);
    expect(read.settings?.quota).toEqual({ maxObjects: 9 });
    // The host answers no secret's value: the stack's, since the digest is that of the stack's values.
    expect(read.secrets).toEqual({ KEY: "s" });
    // Read state is stored lean, as App writes it: an empty env is left out.
    expect("env" in read.code).toBe(false);
    expect(diffApp(read, a)).toMatchObject({ changes: true });
    // After refresh, `up` restores the declared app.
    await updateApp(read, a);
    expect(await get("drift")).toBe("a 2");
    expect((await host.control.getApp("drift"))?.settings.quota).toEqual({});
  });

  it("a secret changed outside the stack reads as drift with its value unknown; up restores the declared one", async () => {
    const declared = await state("secret-drift", COUNTER("s"), { secrets: { KEY: "declared" } });
    await createApp(declared);
    const outside = await outsideVersion(COUNTER("s"), { KEY: "changed" });
    await host.control.putVersion("secret-drift", outside);
    await host.control.deploy("secret-drift", outside.versionHash, declared.code.versionHash);
    const read = (await readApp(declared))!;
    expect(read.code.versionHash).toBe(outside.versionHash);
    expect(read.secrets).toEqual({ KEY: "" });
    expect(JSON.stringify(read)).not.toContain("changed");
    expect(diffApp(read, declared)).toMatchObject({ changes: true });
    await updateApp(read, declared);
    expect((await host.control.getApp("secret-drift"))?.currentVersion).toBe(declared.code.versionHash);
  });

  it("read of a deleted app reports it gone; delete honours dataOnDelete and treats 404 as done", async () => {
    const r = await state("del-r", COUNTER("r"));
    await createApp(r);
    await get("del-r");
    await deleteApp(r);
    expect(await readApp(r)).toBeNull();
    await deleteApp(r);
    await createApp(r);
    expect(await get("del-r")).toBe("r 2");

    const d = await state("del-d", COUNTER("d"), { settings: { dataOnDelete: "delete" } });
    await createApp(d);
    await get("del-d");
    await deleteApp(d);
    await createApp(d);
    expect(await get("del-d")).toBe("d 1");
  });

  it("re-bundles from the source when the cache lost a module, and refuses when it cannot", async () => {
    const s = await state("nocache", COUNTER("x"));
    await expect(
      createApp(
        patch(s, { code: { modules: { "index.js": { ...s.code.modules["index.js"]!, sha256: "f".repeat(64) } } } }),
      ),
    ).rejects.toThrow(/neither in the bundle cache.*nor reproducible/);
  });

  it("check refuses at preview a flag workerd does not know, or an experimental one, naming it", async () => {
    const s = await state("flags", COUNTER("f"));
    expect(
      checkApp(patch(s, { code: { compatibilityFlags: ["nodejs_compat", "fine_flag", "precise_timers"] } })),
    ).toEqual([
      {
        property: "compatibilityFlags[1]",
        reason: expect.stringMatching(/^'fine_flag' is not a compatibility flag workerd/),
      },
      { property: "compatibilityFlags[2]", reason: expect.stringMatching(/^'precise_timers' is an experimental/) },
    ]);
  });

  it("retries through a target that fails the first attempts", async () => {
    let failures = 3;
    const target = new URL(host.url);
    const flaky: Server = createServer(async (req, res) => {
      if (failures-- > 0) {
        res
          .writeHead(503, { "content-type": "application/json" })
          .end(JSON.stringify({ error: { code: "internal", message: "warming up" } }));
        return;
      }
      const body = await new Promise<Buffer>((ok) => {
        const parts: Buffer[] = [];
        req.on("data", (c: Buffer) => parts.push(c)).on("end", () => ok(Buffer.concat(parts)));
      });
      const upstream = await fetch(new URL(req.url!, target), {
        method: req.method,
        headers: { authorization: req.headers.authorization ?? "", "content-type": "application/json" },
        body: body.length ? body : undefined,
      });
      res
        .writeHead(upstream.status, { "content-type": "application/json" })
        .end(Buffer.from(await upstream.arrayBuffer()));
    });
    await new Promise<void>((ok) => flaky.listen(0, "127.0.0.1", ok));
    try {
      const port = (flaky.address() as { port: number }).port;
      const s = await state("retry", COUNTER("r"), { control: { url: `http://127.0.0.1:${port}` } });
      await createApp(s);
      expect(failures).toBeLessThan(0);
      expect(await get("retry")).toBe("r 1");
    } finally {
      await new Promise((ok) => flaky.close(ok));
    }
  });

  it("keeps the source files a version was bundled from beside it, and none that do not match it", async () => {
    const dir = tempDir("dw-src-");
    try {
      mkdirSync(join(dir.path, "lib"));
      writeFileSync(join(dir.path, "lib", "greet.ts"), "export const greet = (n: string): string => `hi ${n}`;\n");
      writeFileSync(
        join(dir.path, "index.ts"),
        'import { greet } from "./lib/greet.ts";\nexport default { fetch() { return new Response(greet("a")); } };\n',
      );
      const bundled = async (name: string) => {
        const b = await bundleApp(dir.path);
        return state(name, b.modules["index.js"]!.content, {
          code: { durableObject: null, source: { root: relative(process.cwd(), b.root), entry: b.entry } },
        });
      };
      const a = await bundled("srcs");
      await createApp(a);
      expect(await get("srcs")).toBe("hi a");
      const stored = (await host.control.getSources("srcs", a.code.versionHash)).files;
      expect(Object.keys(stored ?? {})).toEqual(["index.ts", "lib/greet.ts"]);
      expect(stored?.["lib/greet.ts"]).toContain("(n: string): string");
      // The working tree moved on after the plan: its files are not what the planned version was made of.
      writeFileSync(join(dir.path, "index.ts"), 'export default { fetch() { return new Response("b"); } };\n');
      const b = await bundled("srcs");
      writeFileSync(join(dir.path, "index.ts"), 'export default { fetch() { return new Response("c"); } };\n');
      await updateApp(a, b);
      expect(await get("srcs")).toBe("b");
      expect((await host.control.getSources("srcs", b.code.versionHash)).files).toBeNull();
    } finally {
      dir.remove();
    }
  });
});
