// Pulumi conventions through the real pulumi CLI (issue 19, item 5):
// - a stack made by version 0.2.0 (test/fixtures/state/conventions-0.2.0.json:
//   its host script "dynamic-workers", its App without a parent) previews with
//   the new defaults (script named after the resource, Apps the platform's
//   children) as no replacement, no creation and no deletion;
// - a new stack of the same program names its script after the resource, and
//   takes App arguments that are other resources' outputs (unknown at its
//   first preview, which passes);
// - an App with the `import` option (the engine cannot import a dynamic
//   provider's resource, pulumi/pulumi#16175) adopts the app the host has.
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi, previewSteps } from "./helpers.js";

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

e2e("a new stack, and adopting an app the host has (the `import` option)", { timeout: 600_000 }, () => {
  const state = tempDir("dw-e2e-conventions-state-");
  let target: LocalTarget;
  let stack: Stack;

  beforeAll(async () => {
    target = new LocalTarget(await freePort(), state.path);
    await target.start();
    stack = new Stack(target, PROJECT);
    stack.init({ inputs: "true" });
    // A first preview: the echo app's env comes from host outputs not known yet, and its check does not fail.
    const first = stack.run(["preview"], { check: false });
    expect(first.code, first.stdout + first.stderr).toBe(0);
    stack.run(["up", "--yes"]);
  });
  afterAll(async () => {
    await target?.stop();
    stack?.remove();
    state.remove();
  });

  const notesUrn = () => {
    const st = JSON.parse(stack.run(["stack", "export"]).stdout) as { deployment: { resources: { urn: string }[] } };
    return st.deployment.resources.map((r) => r.urn).find((u) => u.endsWith(":App::notes"));
  };
  const greeting = async () => (await (await fetch(stack.appUrl("notes"))).json()) as { greeting: string };

  it("names the host script after the Platform resource, and the app is the platform's child", async () => {
    expect(stack.outputs()).toMatchObject({ scriptName: "ai-apps" });
    expect(stack.outputs().controlUrl).toMatch(/\/_scripts\/ai-apps$/);
    expect(notesUrn()).toMatch(/::dynamic-workers:index:Platform\$pulumi-nodejs:dynamic\/dynamic-workers:App::notes$/);
    expect(await greeting()).toEqual({ greeting: "hello" });
  });

  it("takes App arguments that are other resources' outputs (env, quota, name, source)", async () => {
    const control = new ControlClient({ url: stack.outputs().controlUrl, token: stack.controlToken() });
    const st = JSON.parse(stack.run(["stack", "export"]).stdout) as {
      deployment: { resources: { type: string; outputs?: { namespaceIds?: Record<string, string> } }[] };
    };
    const ids = st.deployment.resources.find((r) => r.type.endsWith(":HostWorker"))!.outputs!.namespaceIds!;
    const echo = await control.getApp("echo");
    expect(echo?.currentVersion).toBe(stack.outputs().versions.echo);
    const { version } = await control.getVersion("echo", echo!.currentVersion!, false);
    expect(version.manifest.env).toEqual({ CATALOG: ids.CATALOG, SCRIPT: "ai-apps" });
    expect(echo!.settings.quota).toMatchObject({ requestsPerMinute: 600 });
    // A new value of the Output's source rolls out as any change does.
    stack.setConfig({ rpm: "300" });
    stack.run(["up", "--yes"]);
    expect((await control.getApp("echo"))!.settings.quota).toMatchObject({ requestsPerMinute: 300 });
    expect((await control.getApp("echo"))!.currentVersion).toBe(echo!.currentVersion);
  });

  it("adopts the app with the `import` option (id: the app's name), changing nothing on the host", async () => {
    const before = stack.outputs().versions.notes;
    const control = new ControlClient({ url: stack.outputs().controlUrl, token: stack.controlToken() });
    const versionsBefore = (await control.listVersions("notes")).versions.length;
    // The stack forgets the app; the host keeps serving it.
    stack.run(["state", "delete", notesUrn()!, "--yes"]);
    expect(notesUrn()).toBeUndefined();
    expect(await greeting()).toEqual({ greeting: "hello" });
    stack.setConfig({ importNotes: "notes" });
    stack.run(["up", "--yes"]);
    expect(notesUrn()).toBeDefined();
    expect(stack.outputs().versions.notes).toBe(before);
    expect((await control.getApp("notes"))?.currentVersion).toBe(before);
    expect((await control.listVersions("notes")).versions).toHaveLength(versionsBefore);
    // Adopted as it is: the next preview has nothing to do.
    const steps = previewSteps(stack.run(["preview", "--json"]).stdout);
    expect(steps.filter((s) => s.op !== "same").map((s) => `${s.op} ${s.name}`)).toEqual([]);
    expect(await greeting()).toEqual({ greeting: "hello" });
  });

  it("refuses an import id that is not the app's name, and an app at another version, changing nothing", async () => {
    stack.run(["state", "delete", notesUrn()!, "--yes"]);
    stack.setConfig({ importNotes: "other" });
    const wrong = stack.run(["preview"], { check: false });
    expect(wrong.code).not.toBe(0);
    expect(wrong.stdout).toContain(
      "App 'notes': the import id is the app's name on the platform ('notes'), not 'other'",
    );
    expect(wrong.stdout + wrong.stderr).not.toMatch(/grpc|code must be a string/i);
    // The host's app at a version the program does not declare: not taken over.
    stack.setConfig({ importNotes: "notes", greeting: "changed" });
    const other = stack.run(["up", "--yes"], { check: false });
    expect(other.code).not.toBe(0);
    expect(other.stdout).toMatch(
      /app 'notes' already exists on the platform at version [0-9a-f]{64}, not the declared [0-9a-f]{64}; to adopt it/,
    );
    expect(await greeting()).toEqual({ greeting: "hello" });
  });
});
