// Pulumi conventions through the real pulumi CLI (issue 19, item 5):
// - a stack made by version 0.2.0 (test/fixtures/state/conventions-0.2.0.json:
//   its host script "dynamic-workers", its App without a parent) previews with
//   the new defaults (script named after the resource, Apps the platform's
//   children) as no replacement, no creation and no deletion;
// - a new stack of the same program names its script after the resource;
// - `pulumi import` of an app that exists adopts it.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, hasPulumi } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
if (!hasPulumi) console.warn("e2e skipped: no Pulumi CLI under .tools/pulumi/bin; run scripts/bootstrap.sh");

interface RawStep {
  op: string;
  urn: string;
  oldState: { urn: string; inputs: Record<string, unknown> };
  newState: { inputs: Record<string, unknown> };
}

const PROJECT = join(ROOT, "test", "e2e", "projects", "conventions");
const FIXTURE = join(ROOT, "test", "fixtures", "state", "conventions-0.2.0.json");

e2e("a stack from 0.2.0 under the new defaults", { timeout: 600_000 }, () => {
  const fixture = JSON.parse(readFileSync(FIXTURE, "utf8")) as {
    encryptionsalt: string;
    apiBaseUrl: string;
    export: object;
  };
  // Never started: a preview asks the host nothing (check and diff run in the providers).
  const target = new LocalTarget(Number(new URL(fixture.apiBaseUrl).port), "unused");
  let stack: Stack;

  beforeAll(() => {
    stack = new Stack(target, PROJECT);
    stack.init();
    const config = join(stack.dir.path, "Pulumi.e2e.yaml");
    const text = readFileSync(config, "utf8").replace(
      /^encryptionsalt: .*$/m,
      `encryptionsalt: ${fixture.encryptionsalt}`,
    );
    writeFileSync(config, text);
    const file = join(stack.dir.path, "old-state.json");
    writeFileSync(file, JSON.stringify(fixture.export));
    stack.run(["stack", "import", "--file", file]);
  });
  afterAll(() => stack?.remove());

  it("previews no replacement, creation or deletion: the host keeps its script, the app moves under the platform by alias", () => {
    const preview = JSON.parse(stack.run(["preview", "--json"]).stdout) as { steps: RawStep[] };
    const steps = preview.steps.map((s) => ({ ...s, name: s.urn.split("::").pop()! }));
    // A package upgrade updates the host (its bundle), and so the app (the host's token is unknown until then).
    expect(steps.filter((s) => !["same", "update"].includes(s.op)).map((s) => `${s.op} ${s.name}`)).toEqual([]);
    const host = steps.find((s) => s.name === "ai-apps-host")!;
    expect(host.newState.inputs).toMatchObject({
      scriptName: "dynamic-workers",
      platformConfig: { appsDomain: "dynamic-workers.localhost" },
    });
    expect(host.newState.inputs).not.toHaveProperty("__defaulted");
    const app = steps.find((s) => s.name === "notes")!;
    // The same resource (its URN of before, found by the alias), now the platform's child, at the same version.
    expect(app.oldState.urn).toMatch(/::pulumi-nodejs:dynamic\/dynamic-workers:App::notes$/);
    expect(app.urn).toMatch(/::dynamic-workers:index:Platform\$pulumi-nodejs:dynamic\/dynamic-workers:App::notes$/);
    expect(app.newState.inputs).toMatchObject({
      control: { url: "http://127.0.0.1:18787/_scripts/dynamic-workers" },
      code: { versionHash: (app.oldState.inputs.code as { versionHash: string }).versionHash },
    });
  });
});
