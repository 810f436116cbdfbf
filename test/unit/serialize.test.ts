// The dynamic providers as the engine runs them: serialized by Pulumi, loaded
// in a fresh Node process, methods called. A capture that cannot be
// serialized, or a module the provider cannot load, fails here.
import * as pulumi from "@pulumi/pulumi";
import { execFileSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { appProvider } from "../../provider/app.js";
import { hostWorkerProvider } from "../../provider/host-worker.js";
import { tempDir } from "../helpers/host.js";

const require = createRequire(import.meta.url);

async function roundTrip(provider: pulumi.dynamic.ResourceProvider, script: string, cwd = process.cwd()): Promise<unknown> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  const dir = tempDir("dw-serialize-");
  try {
    const file = join(dir.path, "provider.cjs");
    writeFileSync(file, serialized.text);
    const runner = join(dir.path, "run.cjs");
    writeFileSync(
      runner,
      // As the engine's provider host does: require-from-string, resolved from the working folder.
      `const requireFromString = require(${JSON.stringify(require.resolve("require-from-string"))});
       const provider = requireFromString(require("node:fs").readFileSync(${JSON.stringify(file)}, "utf8")).${serialized.exportName}();
       (async () => { const out = await (${script})(provider); process.stdout.write(JSON.stringify(out)); })()
         .catch((e) => { process.stderr.write(String(e && e.stack || e)); process.exit(1); });`,
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

describe("serialized providers", () => {
  it("App provider: check and diff run in a fresh process", async () => {
    const out = await roundTrip(
      appProvider,
      `async (p) => ({
        check: await p.check({}, ${JSON.stringify({ ...state, settings: { ...state.settings, quota: { maxObjects: 11 } }, name: "Bad" })}),
        diff: await p.diff("todo", ${JSON.stringify(state)}, ${JSON.stringify({ ...state, name: "todo2", code: { ...state.code, versionHash: "c".repeat(64) } })}),
      })`,
    );
    expect(out).toMatchObject({
      check: { failures: expect.arrayContaining([expect.objectContaining({ property: "name" }), { property: "quota.maxObjects", reason: "11 is above the platform ceiling of 10" }]) },
      diff: { changes: true, replaces: ["name"] },
    });
  });

  it("a project without the package gets an error that says what to install", async () => {
    const elsewhere = tempDir("dw-no-package-");
    try {
      const out = await roundTrip(appProvider, `async (p) => p.check({}, {}).then(() => "loaded", (e) => e.message)`, elsewhere.path);
      expect(out).toMatch(/^cannot load pulumi-dynamic-workers \(app-check\) from .*install the package in the Pulumi project$/);
    } finally {
      elsewhere.remove();
    }
  });

  it("HostWorker provider: check runs in a fresh process", async () => {
    const out = await roundTrip(
      hostWorkerProvider,
      `async (p) => p.check({}, { accountId: "local", apiBaseUrl: "http://x", scriptName: "Bad_Name", compatibilityDate: "2020-01-01", bundleSha256: "x", platformConfig: { versionsKept: 0 }, rotateControlToken: "", dataOnDelete: "retain" })`,
    );
    const failures = (out as { failures: { property: string }[] }).failures.map((f) => f.property);
    expect(failures).toEqual(["scriptName", "platformConfig", "compatibilityDate"]);
  });
});
