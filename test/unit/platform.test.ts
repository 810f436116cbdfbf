// The resource graph of Platform and App with Pulumi mocks: which resources,
// with which inputs and parents. (Mocks only here; providers are tested for real elsewhere.)
import * as pulumi from "@pulumi/pulumi";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { tempDir } from "../helpers/host.js";
import { providerSource } from "../../provider/resources/provider-text.js";

interface Made {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
const made: Made[] = [];
const cache = tempDir("dw-cache-");
process.env.DYNAMIC_WORKERS_CACHE = cache.path;

pulumi.runtime.setMocks(
  {
    newResource(args) {
      made.push({ type: args.type, name: args.name, inputs: args.inputs });
      const state = { ...args.inputs };
      if (args.type.endsWith("HostWorker"))
        Object.assign(state, {
          controlToken: "mock-token",
          secretsKey: "mock-secrets-key",
          namespaceIds: { CATALOG: "ns1" },
        });
      return { id: `${args.name}-id`, state };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);

const { Platform, App } = await import("../../provider/index.js");

const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));
const byType = (suffix: string) => made.filter((m) => m.type.toLowerCase().endsWith(suffix.toLowerCase()));

let appDir: { path: string; remove(): void };
beforeAll(() => {
  appDir = tempDir("dw-app-");
  mkdirSync(join(appDir.path, "src"));
  writeFileSync(join(appDir.path, "src", "util.ts"), "export const greet = (n: string): string => `hi ${n}`;\n");
  writeFileSync(
    join(appDir.path, "index.ts"),
    'import { greet } from "./src/util";\nexport default { fetch() { return new Response(greet("x")); } };\n',
  );
});
afterAll(() => {
  appDir.remove();
  cache.remove();
});

describe("Platform", () => {
  it("uploads the host with its settings and gives a local URL", async () => {
    const p = new Platform("p", {
      accountId: "local",
      limits: { maxApps: 5, maxQuota: { maxObjects: 10 } },
      cacheTtlSeconds: 1,
    });
    // The script is named after the resource, so a second platform on the account does not collide.
    expect(await value(p.controlUrl)).toBe("http://127.0.0.1:8787/_scripts/p");
    expect(await value(p.appsUrl("todo"))).toBe("http://todo.p.localhost:8787/");
    const host = byType(":HostWorker").find((m) => m.name === "p-host")!;
    expect(host.type).toBe("pulumi-nodejs:dynamic/dynamic-workers:HostWorker");
    expect(host.inputs.__provider).toBe(providerSource("host-worker", "hostWorkerProvider"));
    expect(host.inputs).toMatchObject({
      accountId: "local",
      scriptName: "p",
      platformConfig: {
        appsDomain: "p.localhost",
        cacheTtlSeconds: 1,
        limits: { maxApps: 5, maxQuota: { maxObjects: 10 } },
      },
      // For the provider's check, which keeps an existing host's name (test/unit/host-worker-provider.test.ts).
      __defaulted: ["scriptName", "appsDomain"],
    });
    expect(host.inputs.bundleSha256).toMatch(/^[0-9a-f]{64}$/);
    expect(JSON.stringify(host.inputs)).not.toContain("mock-token");
  });

  it("adds workers.dev, routes and a custom domain as @pulumi/cloudflare children on Cloudflare", async () => {
    const p = new Platform("cf", {
      accountId: "acc123",
      scriptName: "ai-apps",
      customDomain: { hostname: "apps.example.com", zoneId: "z1" },
      workersDev: { subdomain: "team" },
      routes: [{ pattern: "*.apps.example.com/*", zoneId: "z1" }],
      appsDomain: "apps.example.com",
    });
    expect(await value(p.appsUrl("todo"))).toBe("https://todo.apps.example.com/");
    await value(p.url);
    expect(byType("WorkersScriptSubdomain:WorkersScriptSubdomain")[0]?.inputs).toMatchObject({
      accountId: "acc123",
      scriptName: "ai-apps",
      enabled: true,
    });
    expect(byType("WorkersRoute:WorkersRoute")[0]?.inputs).toMatchObject({
      pattern: "*.apps.example.com/*",
      zoneId: "z1",
      script: "ai-apps",
    });
    expect(byType("WorkersCustomDomain:WorkersCustomDomain")[0]?.inputs).toMatchObject({
      hostname: "apps.example.com",
      service: "ai-apps",
    });
  });

  it("warns at preview when apps would share one browser origin (no appsDomain on Cloudflare)", () => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(async () => {});
    try {
      new Platform("one-origin", { accountId: "acc", workersDev: { subdomain: "team" } });
      expect(warn).toHaveBeenCalledTimes(1);
      expect(String(warn.mock.calls[0]![0])).toMatch(
        /Platform 'one-origin' has no appsDomain, so every app is served under \/apps\/<app>\/ on one browser origin/,
      );
      warn.mockClear();
      new Platform("own-origins", {
        accountId: "acc",
        workersDev: { subdomain: "team" },
        appsDomain: "apps.example.com",
        routes: [{ pattern: "*.apps.example.com/*", zoneId: "z1" }],
      });
      new Platform("local-origins", { accountId: "local" });
      expect(warn).not.toHaveBeenCalled();
    } finally {
      warn.mockRestore();
    }
  });

  it("refuses bad or conflicting arguments before making anything", () => {
    const before = made.length;
    expect(() => new Platform("bad1", { accountId: "local", workersDev: { subdomain: "x" } })).toThrow(/local target/);
    expect(() => new Platform("bad2", { accountId: "acc" })).toThrow(/workersDev or customDomain/);
    expect(() => new Platform("bad3", { accountId: "local", versionsKept: 0 })).toThrow(/versionsKept/);
    expect(
      () =>
        new Platform("bad4", {
          accountId: "local",
          limits: { maxQuota: { maxObjects: 5 } },
          defaults: { quota: { maxObjects: 9 } },
        }),
    ).toThrow(/defaults\.quota\.maxObjects: 9 is above the platform ceiling of 5/);
    expect(() => new Platform("bad5", { accountId: "local", scriptName: "Bad_Name" })).toThrow(/scriptName/);
    expect(made.length).toBe(before);
  });
});

describe("Platform: apps by hostname on Cloudflare", () => {
  /** Resolves once the mocks have seen these resources (registration runs after the constructor returns). */
  const registered = (...names: string[]) =>
    vi.waitFor(() => expect(names.filter((n) => !made.some((m) => m.name === n))).toEqual([]));

  /** The warnings a Platform made with these arguments logs at preview. */
  const warningsOf = (name: string, args: Record<string, unknown>): string[] => {
    const warn = vi.spyOn(pulumi.log, "warn").mockImplementation(async () => {});
    try {
      new Platform(name, { accountId: "acc", workersDev: { subdomain: "team" }, scriptName: "ai", ...args });
      return warn.mock.calls.map((c) => String(c[0]));
    } finally {
      warn.mockRestore();
    }
  };

  it("with appsZone, creates the proxied wildcard DNS record and the route to the host", async () => {
    const warnings = warningsOf("zoned", {
      appsDomain: "example-apps.com",
      appsZone: { zoneId: "z9", name: "example-apps.com" },
    });
    // At the zone apex, *.example-apps.com is one level down: Universal SSL covers it.
    expect(warnings).toEqual([]);
    await registered("zoned-apps-dns", "zoned-apps-route");
    const dns = made.filter((m) => m.name === "zoned-apps-dns");
    expect(dns.map((m) => m.type)).toEqual(["cloudflare:index/dnsRecord:DnsRecord"]);
    expect(dns[0]!.inputs).toMatchObject({
      zoneId: "z9",
      name: "*.example-apps.com",
      type: "AAAA",
      content: "100::",
      proxied: true,
      ttl: 1,
    });
    const route = made.filter((m) => m.name === "zoned-apps-route");
    expect(route.map((m) => m.type)).toEqual(["cloudflare:index/workersRoute:WorkersRoute"]);
    expect(route[0]!.inputs).toEqual({ zoneId: "z9", pattern: "*.example-apps.com/*", script: "ai" });
  });

  it("warns at preview when Universal SSL cannot cover *.<appsDomain>, saying what to do", async () => {
    const [warning, ...more] = warningsOf("deep", {
      appsDomain: "apps.example.com",
      appsZone: { zoneId: "z1", name: "example.com" },
    });
    expect(more).toEqual([]);
    expect(warning).toMatch(
      /^Platform 'deep': apps at <app>\.apps\.example\.com will get no valid certificate from Universal SSL, which covers example\.com and \*\.example\.com only/,
    );
    expect(warning).toMatch(/a zone of their own/);
    expect(warning).toMatch(/Advanced Certificate Manager/);
    expect(warning).toMatch(/custom\s+certificate/);
    expect(warning).toMatch(/appsZone\.wildcardCertificate: true/);
    // The DNS record and route are made all the same.
    await registered("deep-apps-dns", "deep-apps-route");
    expect(
      warningsOf("deep-covered", {
        appsDomain: "apps.example.com",
        appsZone: { zoneId: "z1", name: "example.com", wildcardCertificate: true },
      }),
    ).toEqual([]);
  });

  it("warns when apps have a domain on Cloudflare but nothing routes them", () => {
    expect(warningsOf("unrouted", { appsDomain: "apps.example.com" })).toEqual([
      expect.stringMatching(
        /^Platform 'unrouted': apps answer at <app>\.apps\.example\.com, but nothing routes them to the host: give appsZone/,
      ),
    ]);
    expect(
      warningsOf("routed", {
        appsDomain: "apps.example.com",
        routes: [{ pattern: "*.apps.example.com/*", zoneId: "z1" }],
      }),
    ).toEqual([]);
  });

  it("refuses appsZone arguments that cannot work, naming the field", () => {
    const before = made.length;
    const make = (args: Record<string, unknown>) => () =>
      new Platform("zbad", { accountId: "acc", workersDev: { subdomain: "team" }, ...args });
    expect(make({ appsZone: { zoneId: "z1", name: "example.com" } })).toThrow(/appsZone: needs appsDomain/);
    expect(make({ appsDomain: "apps.other.org", appsZone: { zoneId: "z1", name: "example.com" } })).toThrow(
      /appsDomain: 'apps\.other\.org' is not in zone appsZone\.name 'example\.com'/,
    );
    expect(make({ appsDomain: "example.com", appsZone: { zoneId: "", name: "Example" } })).toThrow(
      /appsZone\.zoneId: must be.*appsZone\.name: must be the zone's apex domain/,
    );
    expect(
      make({
        appsDomain: "example.com",
        appsZone: { zoneId: "z1", name: "example.com" },
        routes: [{ pattern: "*.example.com/*", zoneId: "z1" }],
      }),
    ).toThrow(/routes: '\*\.example\.com\/\*' is the route appsZone makes/);
    expect(
      () => new Platform("zlocal", { accountId: "local", appsZone: { zoneId: "z1", name: "example.com" } }),
    ).toThrow(/appsZone are Cloudflare features/);
    expect(made.length).toBe(before);
  });
});

describe("App", () => {
  it("reads a Wrangler file in its source folder; its own arguments override the file field by field", async () => {
    const dir = join(appDir.path, "..", `wrangler-app-${process.pid}`);
    mkdirSync(join(dir, "src"), { recursive: true });
    writeFileSync(
      join(dir, "wrangler.jsonc"),
      `{ "main": "src/worker.js", "compatibility_date": "2026-05-01", "vars": { "A": "file", "B": "file" },
         "durable_objects": { "bindings": [{ "name": "ROOMS", "class_name": "Room" }] }, "limits": { "cpu_ms": 50 } }`,
    );
    writeFileSync(
      join(dir, "src", "worker.js"),
      'import { DurableObject } from "cloudflare:workers"; export class Room extends DurableObject {} export default { fetch() { return new Response("w"); } };',
    );
    const p = new Platform("pw", { accountId: "local", scriptName: "pw" });
    const app = new App("wr", { platform: p, source: dir, env: { B: "program" }, compatibilityDate: "2026-06-01" });
    await value(app.versionHash);
    const m = byType(":App").find((x) => x.name === "wr")!;
    expect(m.inputs.code).toMatchObject({
      compatibilityDate: "2026-06-01",
      durableObjects: { ROOMS: "Room" },
      env: { A: "file", B: "program" },
      source: { entry: "worker.js" },
    });
    expect(m.inputs.settings).toEqual({ quota: { cpuMs: 50 } });
    writeFileSync(join(dir, "wrangler.jsonc"), `{ "main": "src/worker.js", "kv_namespaces": [{ "binding": "KV" }] }`);
    expect(() => new App("wr2", { platform: p, source: dir })).toThrow(
      /^App 'wr2': .*\/wrangler\.jsonc: kv_namespaces: KV namespaces are not offered; this platform gives apps Durable Objects, vars, secrets, static assets and crons$/,
    );
  });

  it("bundles the source and hands the engine only hashes and settings", async () => {
    const p = new Platform("pa", { accountId: "local", scriptName: "pa" });
    const app = new App("todo", {
      platform: p,
      source: appDir.path,
      quota: { maxObjects: 3 },
      secrets: { KEY: pulumi.secret("s3cret") },
      env: { MODE: "x" },
    });
    const hash = await value(app.versionHash);
    expect(hash).toMatch(/^[0-9a-f]{64}$/);
    const m = byType(":App").find((x) => x.name === "todo")!;
    expect(m.type).toBe("pulumi-nodejs:dynamic/dynamic-workers:App");
    expect(Object.keys(m.inputs.code.modules)).toEqual(["index.js"]);
    expect(m.inputs.code.modules["index.js"].sha256).toMatch(/^[0-9a-f]{64}$/);
    expect(m.inputs).toMatchObject({
      name: "todo",
      code: { versionHash: hash, env: { MODE: "x" } },
    });
    // Fields at their default are left out of state (see StoredAppState).
    expect(m.inputs.settings).toEqual({ quota: { maxObjects: 3 } });
    expect(Object.keys(m.inputs.code).sort()).toEqual([
      "compatibilityDate",
      "env",
      "mainModule",
      "modules",
      "source",
      "versionHash",
    ]);
    // Secrets and the control token reach the engine as secrets.
    const SECRET_SIG = "4dabf18193072939515e22adb298388d";
    expect(m.inputs.secrets).toMatchObject({ [SECRET_SIG]: expect.any(String), value: { KEY: "s3cret" } });
    expect(m.inputs.controlToken).toEqual({ [SECRET_SIG]: expect.any(String), value: "mock-token" });
    expect(m.inputs.control).toEqual({ url: "http://127.0.0.1:8787/_scripts/pa" });
    // Few top-level properties: each costs every preview (see AppState); the secret stays out of `code`.
    expect(Object.keys(m.inputs).sort()).toEqual([
      "__provider",
      "code",
      "control",
      "controlToken",
      "name",
      "secrets",
      "secretsKey",
      "settings",
    ]);
    expect(JSON.stringify(m.inputs.code)).not.toContain("s3cret");
    // The hash digests the secret under the platform's key (shared/version-hash.ts), which the app keeps as a secret.
    expect(m.inputs.secretsKey).toEqual({ [SECRET_SIG]: expect.any(String), value: "mock-secrets-key" });
    const stateSize = JSON.stringify({ ...m.inputs, __provider: undefined }).length;
    expect(stateSize).toBeLessThan(2048);
    // The provider is named by a short text, not serialized (resources/provider-text.ts; serialize.test.ts runs it).
    expect(m.inputs.__provider).toBe(providerSource("app", "appProvider"));
    expect(m.inputs.__provider.length).toBeLessThan(600);
  });

  it("leaves out every property at its default: no settings, no secrets", async () => {
    const p = new Platform("pd", { accountId: "local", scriptName: "pd", limits: { maxQuota: { maxObjects: 10 } } });
    await value(
      new App("plain", {
        platform: p,
        source: appDir.path,
        outbound: "none",
        logs: false,
        dataOnDelete: "retain",
        quota: {},
      }).versionHash,
    );
    const m = byType(":App").find((x) => x.name === "plain")!;
    expect(Object.keys(m.inputs).sort()).toEqual(["__provider", "code", "control", "controlToken", "name"]);
    expect(m.inputs.control).toEqual({ url: "http://127.0.0.1:8787/_scripts/pd", maxQuota: { maxObjects: 10 } });
    await value(new App("with-secrets", { platform: p, source: appDir.path, secrets: {} }).versionHash);
    // Secrets given (even none) stay a property: whether they are empty is known only once resolved.
    expect(Object.keys(byType(":App").find((x) => x.name === "with-secrets")!.inputs)).toContain("secrets");
  });

  it("gives the same hash for the same source, and another for changed source", async () => {
    const p = new Platform("pb", { accountId: "local", scriptName: "pb" });
    const a = await value(new App("same1", { platform: p, name: "same", source: appDir.path }).versionHash);
    const b = await value(new App("same2", { platform: p, name: "same", source: appDir.path }).versionHash);
    expect(a).toBe(b);
    const c = await value(
      new App("inline", { platform: p, modules: { "index.js": { type: "js", content: "export default {}" } } })
        .versionHash,
    );
    expect(c).not.toBe(a);
  });

  it("carries tags as an input only when there are some, and they leave the version hash alone", async () => {
    const p = new Platform("pt", { accountId: "local", scriptName: "pt" });
    const plain = new App("untagged", { platform: p, name: "t", source: appDir.path });
    const empty = new App("empty-tags", { platform: p, name: "t", source: appDir.path, tags: [] });
    const tagged = new App("tagged", { platform: p, name: "t", source: appDir.path, tags: ["disposable", "team:ai"] });
    const hashes = await Promise.all([plain, empty, tagged].map((a) => value(a.versionHash)));
    expect(new Set(hashes).size).toBe(1);
    const inputs = (name: string) => made.find((m) => m.name === name)!.inputs;
    expect(inputs("untagged").settings).toBeUndefined();
    expect(inputs("empty-tags").settings).toBeUndefined();
    expect(inputs("tagged").settings.tags).toEqual(["disposable", "team:ai"]);
  });

  it("refuses conflicting arguments", () => {
    const p = new Platform("pc", { accountId: "local", scriptName: "pc" });
    expect(() => new App("x", { platform: p } as never)).toThrow(/exactly one of 'source'/);
    expect(() => new App("y", { source: appDir.path } as never)).toThrow(/give 'platform'/);
    expect(() => new App("z", { platform: p, controlUrl: "http://x", source: appDir.path })).toThrow(/not both/);
  });
});
