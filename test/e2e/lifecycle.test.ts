// The whole lifecycle with the real pulumi CLI: up, code change (and its
// pull-request comment with a source diff), quota change,
// drift and refresh, a syntax error, a rename, destroy and re-create, and a
// local target killed in the middle of an update.
import { spawnSync } from "node:child_process";
import { readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient, prepareVersion } from "../../provider/control-client/client.js";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi, previewSteps } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
if (!hasPulumi) console.warn("e2e skipped: no Pulumi CLI under .tools/pulumi/bin; run scripts/bootstrap.sh");

e2e("lifecycle through the pulumi CLI", { timeout: 600_000 }, () => {
  const state = tempDir("dw-e2e-state-");
  let target: LocalTarget;
  let stack: Stack;

  beforeAll(async () => {
    target = new LocalTarget(await freePort(), state.path);
    await target.start();
    stack = new Stack(target);
    stack.init();
  }, 120_000);

  afterAll(async () => {
    await target?.stop();
    stack?.remove();
    state.remove();
  });

  const get = async (app: string, path = "") => {
    const res = await fetch(stack.appUrl(app) + path);
    return { status: res.status, body: await res.text() };
  };
  const post = (app: string, path: string, body: unknown) =>
    fetch(stack.appUrl(app) + path, {
      method: "POST",
      headers: { "content-type": "application/json" },
      body: JSON.stringify(body),
    });
  const control = () => new ControlClient({ url: stack.outputs().controlUrl, token: stack.controlToken() });

  it("1. up deploys every app; the todo app stores an item", async () => {
    stack.run(["up", "--yes"]);
    expect(JSON.parse((await get("hello")).body)).toMatchObject({ app: "hello" });
    const created = await post("todo", "todos", { text: "survive everything" });
    expect(created.status, await created.clone().text()).toBe(201);
    expect(JSON.parse((await get("todo", "todos")).body)).toEqual([{ id: 1, text: "survive everything", done: false }]);
    expect((await get("chat", "rooms/lobby/messages")).status).toBe(200);
    // The state holds hashes and settings, not bundles, and no token in plain text.
    const exported = stack.run(["stack", "export"]).stdout;
    expect(exported).not.toContain("isolateStarted");
    const st = JSON.parse(exported) as {
      deployment: { resources: { type: string; outputs?: Record<string, unknown> }[] };
    };
    const apps = st.deployment.resources.filter((r) => r.type.endsWith(":App"));
    expect(apps).toHaveLength(3);
    const token = stack.controlToken();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    expect(exported).not.toContain(token);
    for (const app of apps) {
      const { __provider: _p, ...rest } = app.outputs!;
      expect(JSON.stringify(rest).length).toBeLessThan(2048);
    }
    // Running again changes nothing.
    const again = previewSteps(stack.run(["preview", "--json"]).stdout).filter((s) => s.op !== "same");
    expect(again).toEqual([]);
  });

  it("2. a code change previews as one update of that app, and keeps the data", async () => {
    const file = join(stack.appsDir, "hello", "index.ts");
    writeFileSync(file, readFileSync(file, "utf8").replace('app: "hello"', 'app: "hello", version: 2'));
    const json = stack.run(["preview", "--json"]).stdout;
    const steps = previewSteps(json).filter((s) => s.op !== "same");
    expect(steps).toEqual([expect.objectContaining({ op: "update", name: "hello" })]);
    // The dynamic provider reports no per-field diff: compare the states the step carries.
    type Inputs = { code: { modules: Record<string, { sha256: string }>; versionHash: string }; settings: unknown };
    const step = (
      JSON.parse(json) as { steps: { op: string; oldState: { inputs: Inputs }; newState: { inputs: Inputs } }[] }
    ).steps.find((x) => x.op === "update")!;
    const [was, now] = [step.oldState.inputs, step.newState.inputs];
    expect(now.code.modules["index.js"]!.sha256).not.toBe(was.code.modules["index.js"]!.sha256);
    expect(now.code.versionHash).not.toBe(was.code.versionHash);
    expect(now.settings).toEqual(was.settings);
    const diff = stack.run(["preview", "--diff"]).stdout;
    expect(diff).toMatch(/index\.js/);
    expect(diff).toMatch(/sha256/);
    // The pull-request comment of that preview, by the real command with control access, from the project folder:
    // the changed line in a diff against the sources step 1 left on the host.
    const comment = spawnSync(process.execPath, [join(ROOT, "bin", "dynamic-workers.mjs"), "preview-comment"], {
      cwd: ROOT,
      input: json,
      encoding: "utf8",
      env: { ...process.env, DYNAMIC_WORKERS_CONTROL_TOKEN: stack.controlToken() },
    });
    expect(comment.status, comment.stderr).toBe(0);
    expect(comment.stdout).toContain("| `hello` | change | 1 module changed");
    expect(comment.stdout).toContain("<details><summary><code>hello</code>: 1 file changed (+1 −1)</summary>");
    expect(comment.stdout).toMatch(
      /```diff\n--- a\/index\.ts\n\+\+\+ b\/index\.ts\n[\s\S]*\n-.*app: "hello", greeting[^\n]*\n\+.*app: "hello", version: 2, greeting/,
    );
    expect(comment.stdout).not.toContain(stack.controlToken());
    stack.run(["up", "--yes"]);
    expect(JSON.parse((await get("hello")).body)).toMatchObject({ version: 2 });
    expect(JSON.parse((await get("todo", "todos")).body)).toHaveLength(1);
  });

  it("3. a quota change previews old → new and the host enforces it", async () => {
    stack.setConfig({ quotas: JSON.stringify({ chat: { maxObjects: 2 } }) });
    const diff = stack.run(["preview", "--diff"]).stdout;
    expect(diff).toMatch(/maxObjects\s*:\s*20\s*=>\s*2/);
    stack.run(["up", "--yes"]);
    // Step 1 made room "lobby": one more room fits, the next does not; existing rooms keep working.
    expect((await post("chat", "rooms/a/messages", { user: "u", text: "t" })).status).toBe(201);
    expect((await post("chat", "rooms/b/messages", { user: "u", text: "t" })).status).toBe(500);
    expect((await post("chat", "rooms/lobby/messages", { user: "u", text: "t" })).status).toBe(201);
  });

  it("4. a change made outside the stack shows in refresh, and up restores the declared app", async () => {
    const c = control();
    const info = (await c.getApp("hello"))!;
    const rogue = await prepareVersion({
      mainModule: "index.js",
      modules: { "index.js": { type: "js", content: "export default { fetch() { return new Response('rogue') } }" } },
      compatibilityDate: "2026-07-01",
    });
    await c.putVersion("hello", rogue);
    await c.deploy("hello", rogue.versionHash, info.currentVersion);
    expect((await get("hello")).body).toBe("rogue");
    const refresh = stack.run(["refresh", "--yes", "--diff"]).stdout;
    expect(refresh).toMatch(/hello/);
    expect(refresh).toMatch(/versionHash/);
    stack.run(["up", "--yes"]);
    expect(JSON.parse((await get("hello")).body)).toMatchObject({ app: "hello", version: 2 });
  });

  it("5. a syntax error fails preview naming file:line, and nothing changes", async () => {
    const file = join(stack.appsDir, "chat", "index.ts");
    const good = readFileSync(file, "utf8");
    writeFileSync(file, good.replace("export default {", "export default {{"));
    const r = stack.run(["preview"], { check: false });
    expect(r.code).not.toBe(0);
    expect(r.stdout + r.stderr).toMatch(/index\.ts:\d+:\d+/);
    const up = stack.run(["up", "--yes"], { check: false });
    expect(up.code).not.toBe(0);
    expect((await get("chat", "rooms/a/messages")).status).toBe(200);
    writeFileSync(file, good);
  });

  it("6. a rename previews as a replace; the old name stops serving and its data is retained", async () => {
    stack.setConfig({ names: JSON.stringify({ todo: "tasks" }) });
    const steps = previewSteps(stack.run(["preview", "--json"]).stdout).filter((s) => s.op !== "same");
    expect(steps.map((s) => [s.op, s.name])).toEqual([["replace", "todo"]]);
    stack.run(["up", "--yes"]);
    expect((await get("todo", "todos")).status).toBe(404);
    expect(JSON.parse((await get("tasks", "todos")).body)).toEqual([]);
    stack.setConfig({ names: "{}" });
    stack.run(["up", "--yes"]);
    expect(JSON.parse((await get("todo", "todos")).body)).toEqual([{ id: 1, text: "survive everything", done: false }]);
  });

  it("7. destroy stops every app; re-creating brings the retained data back", async () => {
    stack.run(["destroy", "--yes"]);
    for (const app of ["hello", "todo", "chat"]) {
      expect((await fetch(`http://127.0.0.1:${target.port}/_scripts/ai-apps/apps/${app}/`)).status).not.toBe(200);
    }
    stack.run(["up", "--yes"]);
    expect(JSON.parse((await get("todo", "todos")).body)).toEqual([{ id: 1, text: "survive everything", done: false }]);
  });

  it("8. a local target killed in the middle of an up: up again converges", async () => {
    stack.setConfig({ extraApps: "12" });
    const up = stack.spawnUp();
    let output = "";
    up.stdout!.on("data", (d: Buffer) => (output += d));
    // Kill the target once the first extra app is being created.
    const deadline = Date.now() + 120_000;
    while (!/extra-\d+.*creating/.test(output) && Date.now() < deadline && up.exitCode === null) {
      await new Promise((r) => setTimeout(r, 50));
    }
    target.kill();
    await new Promise((ok) => (up.exitCode !== null ? ok(null) : up.once("exit", ok)));
    // The kill landed in the middle: that update failed.
    expect(up.exitCode).not.toBe(0);
    await target.start();
    stack.run(["up", "--yes"]);
    const c = control();
    const { apps } = await c.listApps({ limit: 100 });
    expect(
      apps
        .map((a) => a.name)
        .filter((n) => n.startsWith("extra-"))
        .sort(),
    ).toEqual(Array.from({ length: 12 }, (_, i) => `extra-${i}`).sort());
    for (const i of [0, 11])
      expect(JSON.parse((await get(`extra-${i}`)).body)).toMatchObject({ greeting: `extra ${i}` });
    expect(JSON.parse((await get("todo", "todos")).body)).toHaveLength(1);
    const again = previewSteps(stack.run(["preview", "--json"]).stdout).filter((s) => s.op !== "same");
    expect(again).toEqual([]);
  });
});
