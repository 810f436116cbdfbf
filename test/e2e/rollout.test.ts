// Gradual rollouts through the real pulumi CLI on the local target: a 10 % rollout serves the new version to
// about 10 % of 1,000 objects, each object keeps its version across requests and as the percent rises to 50;
// preview shows "v1 → v2 at N %"; a rollback with the CLI is immediate and the next preview with refresh shows
// the drift; 100 % finishes; a rollout the host stopped for its error rate fails the next `pulumi up`, saying why.
import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi, previewSteps } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
if (!hasPulumi) console.warn("e2e skipped: no Pulumi CLI under .tools/pulumi/bin; run scripts/bootstrap.sh");

const PROJECT = join(ROOT, "test", "e2e", "projects", "rollout");
const N = 1000;

e2e("gradual rollouts through the pulumi CLI", { timeout: 900_000 }, () => {
  const state = tempDir("dw-e2e-rollout-");
  let target: LocalTarget;
  let stack: Stack;
  const hashes: Record<string, string> = {};

  beforeAll(async () => {
    target = new LocalTarget(await freePort(), state.path);
    await target.start();
    stack = new Stack(target, PROJECT);
    stack.init();
  }, 120_000);

  afterAll(async () => {
    await target?.stop();
    stack?.remove();
    state.remove();
  });

  const control = () => new ControlClient({ url: stack.outputs().controlUrl, token: stack.controlToken() });
  const objects = async (n = N): Promise<string[]> => {
    const base = stack.appUrl("shop");
    const out: string[] = [];
    for (let i = 0; i < n; i += 50) {
      const res = await fetch(`${base}many?from=${i}&n=50`);
      expect(res.status, await res.clone().text()).toBe(200);
      out.push(...((await res.json()) as string[]));
    }
    return out;
  };
  const share = (vs: string[], v: string) => vs.filter((x) => x === v).length / vs.length;
  const cli = (args: string[]) =>
    spawnSync(process.execPath, [join(ROOT, "bin", "dynamic-workers.mjs"), ...args], {
      env: {
        ...process.env,
        DYNAMIC_WORKERS_CONTROL_URL: stack.outputs().controlUrl,
        DYNAMIC_WORKERS_CONTROL_TOKEN: stack.controlToken(),
      },
      encoding: "utf8",
    });
  let at10: string[] = [];
  let at50: string[] = [];

  it("1. up deploys A; 1,000 objects run it", async () => {
    stack.run(["up", "--yes"]);
    hashes.A =
      stack.outputs().versions?.shop ??
      (JSON.parse(stack.run(["stack", "output", "versionHash", "--json"]).stdout) as string);
    expect(await objects()).toEqual(Array(N).fill("A"));
  });

  it("2. a 10 % rollout of B: preview shows A → B at 10 %, and about 10 % of the objects run B, each always the same", async () => {
    stack.setConfig({ marker: "B", percent: "10" });
    const diff = stack.run(["preview", "--diff"]).stdout;
    expect(diff).toMatch(new RegExp(`${hashes.A!.slice(0, 8)} → [0-9a-f]{8} at 10 %`));
    stack.run(["up", "--yes"]);
    hashes.B = JSON.parse(stack.run(["stack", "output", "versionHash", "--json"]).stdout) as string;
    expect(diff).toContain(`${hashes.A!.slice(0, 8)} → ${hashes.B.slice(0, 8)} at 10 %`);
    at10 = await objects();
    // Binomial(1000, 0.1): sd 0.95 %; the bound 5 to 15 % is over five sd either side.
    expect(share(at10, "B")).toBeGreaterThanOrEqual(0.05);
    expect(share(at10, "B")).toBeLessThanOrEqual(0.15);
    expect(await objects()).toEqual(at10);
    const info = await control().getApp("shop");
    expect(info?.rollout).toMatchObject({ stable: hashes.A, candidate: hashes.B, percent: 10, status: "active" });
    expect(previewSteps(stack.run(["preview", "--json"]).stdout).filter((s) => s.op !== "same")).toEqual([]);
  });

  it("3. raising it to 50 % only moves objects to B", async () => {
    stack.setConfig({ percent: "50" });
    expect(stack.run(["preview", "--diff"]).stdout).toContain(
      `${hashes.A!.slice(0, 8)} → ${hashes.B!.slice(0, 8)} at 50 %`,
    );
    stack.run(["up", "--yes"]);
    at50 = await objects();
    for (const [i, v] of at10.entries()) if (v === "B") expect(at50[i]).toBe("B");
    expect(share(at50, "B")).toBeGreaterThanOrEqual(0.4);
    expect(share(at50, "B")).toBeLessThanOrEqual(0.6);
    expect(await objects()).toEqual(at50);
  });

  it("4. a rollback with the CLI is immediate; preview with refresh shows the drift; up restores the same pins", async () => {
    const r = cli(["rollback", "shop"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toMatch(/pulumi refresh/);
    expect(await objects(200)).toEqual(Array(200).fill("A"));
    const drift = stack.run(["preview", "--refresh", "--diff"]).stdout;
    expect(drift).toMatch(/App: \(update\)\s+\[id=shop\]/);
    expect(drift).toContain(`${hashes.A!.slice(0, 8)} → ${hashes.B!.slice(0, 8)} at 50 %`);
    stack.run(["refresh", "--yes"]);
    const steps = previewSteps(stack.run(["preview", "--json"]).stdout).filter((s) => s.op !== "same");
    expect(steps.map((s) => [s.op, s.name])).toEqual([["update", "shop"]]);
    stack.run(["up", "--yes"]);
    expect(await objects()).toEqual(at50);
  });

  it("5. 100 % finishes: B is current everywhere and the rollout is gone", async () => {
    stack.setConfig({ percent: "100" });
    stack.run(["up", "--yes"]);
    expect(await objects(200)).toEqual(Array(200).fill("B"));
    const info = await control().getApp("shop");
    expect(info).toMatchObject({ currentVersion: hashes.B, rollout: null });
    // Refreshed, nothing to change: the stack and the host agree.
    const steps = previewSteps(stack.run(["preview", "--refresh", "--json"]).stdout);
    expect(steps.filter((s) => s.op !== "same" && s.op !== "refresh")).toEqual([]);
  });

  it("6. a broken candidate is stopped by the host, and the next up of the rollout fails saying why", async () => {
    stack.setConfig({ marker: "C", fail: "true", percent: "50" });
    stack.run(["up", "--yes"]);
    const c = control();
    let info = await c.getApp("shop");
    for (let i = 0; i < 30 && info?.rollout?.status !== "stopped"; i++) {
      await Promise.all(Array.from({ length: 40 }, async () => (await fetch(stack.appUrl("shop"))).arrayBuffer()));
      info = await c.getApp("shop");
    }
    expect(info?.rollout?.status).toBe("stopped");
    for (let i = 0; i < 20; i++) expect(await (await fetch(stack.appUrl("shop"))).text()).toBe("B");
    stack.setConfig({ percent: "60" });
    const up = stack.run(["up", "--yes"], { check: false });
    expect(up.code).not.toBe(0);
    expect(up.stdout + up.stderr).toMatch(
      /the host stopped the rollout [0-9a-f]{8} → [0-9a-f]{8} at 50 %.*failed \d+ of its \d+ requests/s,
    );
    expect(up.stdout + up.stderr).toMatch(/dynamic-workers rollout shop 60 --restart/);
    // Nothing changed on the host.
    expect((await c.getApp("shop"))?.currentVersion).toBe(hashes.B);
  });
});
