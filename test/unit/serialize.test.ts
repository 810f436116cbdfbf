// The dynamic providers as the engine runs them: the `__provider` text
// evaluated with require-from-string in a fresh Node process in the project
// folder, its handler() called, methods called. A module the text cannot
// load, or an export it names wrongly, fails here. A resource's outputs keep
// the text of its last create or update, which `destroy` and `refresh` run:
// the entry points a text names stay exported.
import { execFileSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { providerSource, type ProviderModuleName } from "../../provider/resources/provider-text.js";
import { tempDir } from "../helpers/host.js";

const require = createRequire(import.meta.url);

async function roundTrip(text: string, script: string, cwd = process.cwd()): Promise<unknown> {
  const dir = tempDir("dw-serialize-");
  try {
    const file = join(dir.path, "provider.cjs");
    writeFileSync(file, text);
    const runner = join(dir.path, "run.cjs");
    writeFileSync(
      runner,
      // As the engine's provider host does: require-from-string, then handler().
      `const requireFromString = require(${JSON.stringify(require.resolve("require-from-string"))});
       (async () => {
         const provider = requireFromString(require("node:fs").readFileSync(${JSON.stringify(file)}, "utf8")).handler();
         const out = await (${script})(provider);
         process.stdout.write(JSON.stringify(out));
       })().catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`,
    );
    // A fresh process in the project folder, as the engine's provider host runs it.
    const out = execFileSync(process.execPath, [runner], { cwd, encoding: "utf8" });
    return JSON.parse(out);
  } finally {
    dir.remove();
  }
}

const state = {
  name: "todo",
  code: {
    versionHash: "b".repeat(64),
    mainModule: "index.js",
    modules: { "index.js": { type: "js", sha256: "a".repeat(64), size: 1 } },
    source: null,
    compatibilityDate: "2026-07-01",
    compatibilityFlags: [],
    durableObject: null,
    env: {},
  },
  settings: { quota: {}, outbound: "none", logs: false, dataOnDelete: "retain" },
  secrets: {},
  control: { url: "http://127.0.0.1:1", maxQuota: { maxObjects: 10 } },
  controlToken: "t",
};

const APP_SCRIPT = `async (p) => ({
  methods: Object.keys(p).sort(),
  check: await p.check({}, ${JSON.stringify({ ...state, settings: { ...state.settings, quota: { maxObjects: 11 } }, name: "Bad" })}),
  diff: await p.diff("todo", ${JSON.stringify(state)}, ${JSON.stringify({ ...state, name: "todo2", code: { ...state.code, versionHash: "c".repeat(64) } })}),
  // Nothing listens on port 1: the read reaches app-ops and the control client.
  read: await p.read("todo", ${JSON.stringify(state)}).then(() => "read", (e) => e.message),
})`;

// Nothing listens on port 1: the read reaches host-worker-ops and the cloudflare SDK, whose error this is.
const HOST_READ_SCRIPT = `async (p) => p.read("local/dw", { accountId: "local", apiBaseUrl: "http://127.0.0.1:1/client/v4", scriptName: "dw" }).then(() => "read", (e) => e.message)`;

const HOST_SCRIPT = `async (p) => p.check({}, { accountId: "local", apiBaseUrl: "http://x", scriptName: "Bad_Name", compatibilityDate: "2020-01-01", bundleSha256: "x", platformConfig: { versionsKept: 0 }, rotateControlToken: "", dataOnDelete: "retain" })`;

function expectAppProvider(out: unknown) {
  expect(out).toMatchObject({
    methods: ["check", "create", "delete", "diff", "read", "update"],
    check: {
      // The argument is named in the reason, with no property (see app/provider.ts).
      failures: expect.arrayContaining([
        { property: "", reason: expect.stringMatching(/^name: /) },
        { property: "", reason: "quota.maxObjects: 11 is above the platform ceiling of 10" },
      ]),
    },
    diff: { changes: true, replaces: ["name"] },
    read: expect.stringMatching(/^GET \/apps\/todo: .*fetch failed/),
  });
}

function expectHostProvider(out: unknown) {
  const failures = (out as { failures: { property: string }[] }).failures.map((f) => f.property);
  expect(failures).toEqual(["scriptName", "platformConfig", "compatibilityDate"]);
}

describe("provider texts", () => {
  it("App: the text is a short loader, and its provider runs in a fresh process", async () => {
    const text = providerSource("app", "appProvider");
    expect(text.length).toBeLessThan(600);
    expectAppProvider(await roundTrip(text, APP_SCRIPT));
  });

  it("HostWorker: check and read run in a fresh process", async () => {
    const text = providerSource("host-worker", "hostWorkerProvider");
    expectHostProvider(await roundTrip(text, HOST_SCRIPT));
    expect(await roundTrip(text, HOST_READ_SCRIPT)).toBe("Connection error.");
  });

  it("a project without the package gets an error that says what to install", async () => {
    const elsewhere = tempDir("dw-no-package-");
    try {
      const out = await roundTrip(providerSource("app", "appProvider"), `async () => "loaded"`, elsewhere.path).catch(
        (e) => String(e.stderr),
      );
      expect(out).toMatch(
        /cannot load pulumi-dynamic-workers\/providers\/app from .*; install pulumi-dynamic-workers \(this stack's version or later\) in the project/,
      );
    } finally {
      elsewhere.remove();
    }
  });

  it("a package without the export gets the same advice, not a TypeError later", async () => {
    const out = await roundTrip(providerSource("app", "noSuchProvider"), `async () => "loaded"`).catch((e) =>
      String(e.stderr),
    );
    expect(out).toMatch(
      /pulumi-dynamic-workers\/providers\/app from .* has no noSuchProvider; install pulumi-dynamic-workers/,
    );
  });

  it("the package exports exactly the entry points that provider texts name", async () => {
    const pkg = JSON.parse(readFileSync(new URL("../../package.json", import.meta.url), "utf8")) as {
      exports: Record<string, unknown>;
    };
    const named = (["app", "host-worker"] satisfies ProviderModuleName[]).map((m) => `./providers/${m}`);
    expect(
      Object.keys(pkg.exports)
        .filter((k) => k.startsWith("./providers/"))
        .sort(),
    ).toEqual(named.sort());
    const load = createRequire(`${process.cwd()}/`);
    expect(typeof load("pulumi-dynamic-workers/providers/app").appProvider).toBe("object");
    expect(typeof load("pulumi-dynamic-workers/providers/host-worker").hostWorkerProvider).toBe("object");
  });
});
