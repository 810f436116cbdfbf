// The Automation API from a folder that is not the workspace: an inline
// program run by LocalWorkspace (the real pulumi CLI underneath) in a script
// whose working folder holds the app sources, with the workspace (where the
// engine runs the App provider) elsewhere. Up, a preview that changes
// nothing, a code change, and destroy, against a real local target. On the
// commit before this test, up failed: the provider looked for the source
// under the workspace and for the inline app's module in its own cache.
import { spawnSync } from "node:child_process";
import { mkdirSync, mkdtempSync, readdirSync, rmSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, PULUMI_BIN, ROOT, freePort, hasPulumi } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
if (!hasPulumi) console.warn("e2e skipped: no Pulumi CLI under .tools/pulumi/bin; run scripts/bootstrap.sh");

const SCRIPT = join(ROOT, "test", "e2e", "projects", "automation", "run.mjs");
const HELLO = (greeting: string) =>
  `export default { fetch(request, env) { return new Response(env.GREETING + ${JSON.stringify(greeting)}); } };`;

e2e("Automation API from another folder", { timeout: 600_000 }, () => {
  const state = tempDir("dw-e2e-auto-state-");
  // The script's working folder (the app sources, relative to it) and the workspace: two folders apart.
  const script = tempDir("dw-e2e-auto-script-");
  mkdirSync(join(ROOT, ".dynamic-workers"), { recursive: true });
  // Inside the package, so the workspace resolves @pulumi/pulumi and this package as an installed project would.
  const workDir = mkdtempSync(join(ROOT, ".dynamic-workers", "automation-"));
  let target: LocalTarget;

  const run = (action: "up" | "preview" | "destroy") => {
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      PATH: `${PULUMI_BIN}:${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${join(script.path, "backend")}`,
      PULUMI_HOME: join(script.path, "home"),
      PULUMI_CONFIG_PASSPHRASE: "e2e",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      XDG_CACHE_HOME: join(script.path, "xdg-cache"),
      WORK_DIR: workDir,
      API_BASE_URL: target.apiBaseUrl,
    };
    delete env.DYNAMIC_WORKERS_CACHE;
    const r = spawnSync(process.execPath, [SCRIPT, action], {
      cwd: script.path,
      env,
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    if (r.status !== 0) throw new Error(`run.mjs ${action} failed (${r.status}):\n${r.stdout}\n${r.stderr}`);
    return JSON.parse(r.stdout.trim().split("\n").pop()!) as {
      summary: Record<string, number>;
      outputs?: { controlUrl: string };
    };
  };

  beforeAll(async () => {
    target = new LocalTarget(await freePort(), state.path);
    await target.start();
    mkdirSync(join(script.path, "apps", "hello"), { recursive: true });
    mkdirSync(join(script.path, "backend"));
    writeFileSync(join(script.path, "apps", "hello", "index.js"), HELLO("!"));
  }, 120_000);

  afterAll(async () => {
    await target?.stop();
    script.remove();
    state.remove();
    rmSync(workDir, { recursive: true, force: true });
  });

  let controlUrl = "";
  const get = async (app: string) => (await fetch(`${controlUrl}/apps/${app}/`)).text();

  it("up deploys both apps: the bundled one and the inline one", async () => {
    const up = run("up");
    expect(up.summary).toMatchObject({ create: 5 });
    controlUrl = up.outputs!.controlUrl;
    expect(await get("hello")).toBe("hello from automation!");
    expect(await get("inline")).toBe("inline");
    // The program, outside its workspace, cached the bundles where the provider looks after its own cache.
    expect(readdirSync(join(script.path, "xdg-cache", "pulumi-dynamic-workers")).length).toBeGreaterThan(0);
  });

  it("a preview from the same folder changes nothing", () => {
    expect(run("preview").summary).toEqual({ same: 5 });
  });

  it("a code change rolls out, and destroy removes everything", async () => {
    writeFileSync(join(script.path, "apps", "hello", "index.js"), HELLO("?"));
    expect(run("up").summary).toMatchObject({ update: 1, same: 4 });
    expect(await get("hello")).toBe("hello from automation?");
    expect(run("destroy").summary).toMatchObject({ delete: 5 });
  });
});
