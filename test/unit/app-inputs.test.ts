// The resource graph with Pulumi mocks (issue 19, item 5): App arguments as
// Inputs resolve into the inputs plain values give, and each Platform's script
// is named after its resource. (Mocks only here; the real CLI runs the same in
// test/e2e/conventions.test.ts.)
import * as pulumi from "@pulumi/pulumi";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";

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
  writeFileSync(join(appDir.path, "index.ts"), 'export default { fetch() { return new Response("hi"); } };\n');
});
afterAll(() => {
  appDir.remove();
  cache.remove();
});

describe("Platform script names", () => {
  it("names each platform's script after its resource: two platforms on one account do not collide", async () => {
    const a = new Platform("Team_A apps", { accountId: "local" });
    const b = new Platform("team-b", { accountId: "local" });
    expect(await value(a.scriptName)).toBe("team-a-apps");
    expect(await value(b.scriptName)).toBe("team-b");
    expect(await value(b.appsUrl("x"))).toBe("http://x.team-b.localhost:8787/");
    // Given, the name is the program's: not marked as a default.
    await value(new Platform("c", { accountId: "local", scriptName: "chosen" }).scriptName);
    const c = byType(":HostWorker").find((m) => m.name === "c-host")!;
    expect(c.inputs.scriptName).toBe("chosen");
    expect(c.inputs.__defaulted).toEqual(["appsDomain"]);
  });
});

describe("App arguments as Inputs", () => {
  it("takes arguments as Inputs: other resources' outputs resolve into the same inputs plain values give", async () => {
    const p = new Platform("pi", { accountId: "local", scriptName: "pi" });
    const plain = new App("plain-in", {
      platform: p,
      name: "same-in",
      source: appDir.path,
      env: { SCRIPT: "pi", MODE: "x" },
      quota: { maxObjects: 3 },
      outbound: { allow: ["api.example.com"] },
      durableObjects: {},
    });
    const given = new App("outputs-in", {
      platform: p,
      name: pulumi.output("same-in"),
      source: pulumi.output(appDir.path),
      env: { SCRIPT: p.scriptName, MODE: Promise.resolve("x") },
      quota: pulumi.output({ maxObjects: pulumi.output(3) }),
      outbound: pulumi.output({ allow: [pulumi.output("api.example.com")] }),
      durableObjects: pulumi.output({}),
    });
    expect(await value(given.versionHash)).toBe(await value(plain.versionHash));
    expect(await value(given.url)).toBe(await value(plain.url));
    const [a, b] = ["plain-in", "outputs-in"].map((n) => byType(":App").find((x) => x.name === n)!);
    expect(b!.inputs.name).toBe("same-in");
    expect(b!.inputs.code).toEqual(a!.inputs.code);
    expect(b!.inputs.settings).toEqual(a!.inputs.settings);
    expect(b!.inputs.settings).toEqual({ quota: { maxObjects: 3 }, outbound: { allow: ["api.example.com"] } });
  });
});
