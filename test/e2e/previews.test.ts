// Pull-request previews end to end: the GitOps example deployed with the real pulumi CLI on a local target run
// as its own process, then `dynamic-workers preview …` run as the real binary with the stack's preview token:
// only the changed app gets a slot, the slot's data and production's never meet, the preview token cannot touch
// production, and every error (no token, bad id, quota full, host down) says what is wrong.
import { spawnSync } from "node:child_process";
import { cpSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
const GITOPS = join(ROOT, "examples", "gitops");
const BIN = join(ROOT, "bin", "dynamic-workers.mjs");

e2e("pull-request previews through the pulumi CLI and the dynamic-workers binary", { timeout: 600_000 }, () => {
  const state = tempDir("dw-e2e-state-");
  let target: LocalTarget;
  let stack: Stack;
  let controlUrl: string;
  let previewToken: string;

  /** The binary, with the control URL and the given token in the environment (never on the command line). */
  const cli = (args: string[], env: Record<string, string | undefined> = {}) => {
    const all: Record<string, string | undefined> = {
      ...stack.env(),
      DYNAMIC_WORKERS_CONTROL_URL: controlUrl,
      DYNAMIC_WORKERS_PREVIEW_TOKEN: previewToken,
      DYNAMIC_WORKERS_CONTROL_TOKEN: undefined,
      ...env,
    };
    for (const k of Object.keys(all)) if (all[k] === undefined) delete all[k];
    // In the temp folder: no Pulumi.yaml there, so only the environment gives URL and token.
    const r = spawnSync(process.execPath, [BIN, ...args], { cwd: stack.dir.path, env: all, encoding: "utf8" });
    return { code: r.status, stdout: r.stdout, stderr: r.stderr };
  };
  const guestbook = async (base: string, post?: string) => {
    const res = await fetch(base, post ? { method: "POST", body: JSON.stringify({ name: post }) } : {});
    return (await res.json()) as { name: string }[];
  };

  beforeAll(async () => {
    target = new LocalTarget(await freePort(), state.path);
    await target.start();
    stack = new Stack(target, GITOPS);
    rmSync(stack.appsDir, { recursive: true });
    cpSync(join(GITOPS, "apps"), stack.appsDir, { recursive: true });
    stack.init({ previews: JSON.stringify({ maxSlots: 1 }) });
    stack.run(["up", "--yes"]);
    controlUrl = stack.outputs().controlUrl;
    previewToken = stack.run(["stack", "output", "previewToken", "--show-secrets"]).stdout.trim();
    await guestbook(`${controlUrl}/apps/guestbook/`, "production visitor");
  }, 300_000);

  afterAll(async () => {
    await target?.stop();
    stack?.remove();
    state.remove();
  });

  it("the preview token is a secret output, apart from the control token", () => {
    expect(previewToken).toMatch(/^[0-9a-f]{64}$/);
    expect(previewToken).not.toBe(stack.controlToken());
    expect(stack.run(["stack", "export"]).stdout).not.toContain(previewToken);
  });

  const file = () => join(stack.appsDir, "guestbook", "index.ts");
  it("deploys only the changed app to its slot, seeded, with data production never sees", async () => {
    const original = readFileSync(file(), "utf8");
    writeFileSync(
      file(),
      `${original}\nexport async function seed(env: AppEnv) {\n  await env.OBJECTS.get("main").fetch("http://x/", { method: "POST", body: JSON.stringify({ name: "seeded guest" }) });\n}\n`,
    );
    const previewJson = join(stack.dir.path, "preview.json");
    writeFileSync(previewJson, stack.run(["preview", "--json"]).stdout);
    const r = cli(["preview", "deploy", "--id", "pr-42", "--dir", stack.appsDir, "--changes", previewJson, "--json"]);
    writeFileSync(file(), original);
    expect(r.code, r.stderr).toBe(0);
    const report = JSON.parse(r.stdout) as { slots: { app: string; slot: string; pathUrl: string; seeded: boolean }[] };
    expect(report.slots.map((s) => [s.app, s.slot, s.seeded])).toEqual([["guestbook", "guestbook--pr-42", true]]);
    const slot = report.slots[0]!.pathUrl;
    expect(slot).toBe(`${controlUrl}/apps/guestbook--pr-42/`);
    expect((await guestbook(slot)).map((e) => e.name)).toEqual(["seeded guest"]);
    await guestbook(slot, "preview visitor");
    expect((await guestbook(`${controlUrl}/apps/guestbook/`)).map((e) => e.name)).toEqual(["production visitor"]);
    expect((await guestbook(slot)).map((e) => e.name)).toEqual(["preview visitor", "seeded guest"]);
    const list = cli(["preview", "list"]);
    expect(list.stdout).toMatch(/1\/1 slots[\s\S]*pr-42 {2}guestbook {2}http:\/\/guestbook--pr-42\.apps\.localhost:/);
  });

  it("the preview token cannot read or change production through the CLI", () => {
    const r = cli(["apps"], { DYNAMIC_WORKERS_CONTROL_TOKEN: previewToken });
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/403 forbidden: the preview token may not call listApps/);
    const app = cli(["app", "guestbook"], { DYNAMIC_WORKERS_CONTROL_TOKEN: previewToken });
    expect(app.stderr).toMatch(/403 forbidden: the preview token touches only preview slots/);
  });

  it("refuses a bad id, no token and a full quota, naming each, and deploys nothing", async () => {
    const bad = cli(["preview", "deploy", "--id", "PR#42", "--dir", stack.appsDir]);
    expect([bad.code, bad.stderr]).toEqual([
      2,
      expect.stringMatching(/--id 'PR#42' must be 1-32 characters of a-z, 0-9 and '-'/),
    ]);
    const none = cli(["preview", "list"], { DYNAMIC_WORKERS_PREVIEW_TOKEN: "", PATH: "/usr/bin:/bin" });
    expect([none.code, none.stderr]).toEqual([2, expect.stringMatching(/no token: set DYNAMIC_WORKERS_PREVIEW_TOKEN/)]);
    const full = cli(["preview", "deploy", "--id", "pr-43", "--dir", stack.appsDir]);
    expect(full.code).toBe(1);
    expect(full.stderr).toMatch(
      /guestbook: .*422 limit_exceeded: the platform holds 1 preview slots; previews\.maxSlots is 1/,
    );
    expect((await fetch(`${controlUrl}/apps/guestbook--pr-43/`)).status).toBe(404);
  });

  it("delete removes the slot and its data, and nothing else; the stack shows no drift", async () => {
    const r = cli(["preview", "delete", "--id", "pr-42"]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stdout).toMatch(/deleted preview 'pr-42': guestbook--pr-42 \(1 objects with their data\)/);
    expect((await fetch(`${controlUrl}/apps/guestbook--pr-42/`)).status).toBe(404);
    expect((await guestbook(`${controlUrl}/apps/guestbook/`)).map((e) => e.name)).toEqual(["production visitor"]);
    expect(cli(["preview", "delete", "--id", "pr-42"]).stdout).toMatch(/no preview 'pr-42': nothing to delete/);
    // The preview never touched the stack's resources: a preview of the program finds nothing to change.
    expect(stack.run(["preview", "--expect-no-changes"]).code).toBe(0);
  });

  it("says so when the host is down", async () => {
    await target.stop();
    const r = cli(["preview", "list"]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/cannot reach the control API at http:\/\/127\.0\.0\.1:\d+\/_scripts\/apps/);
  });
});
