// The policy pack through the real pulumi CLI: `pulumi preview --policy-pack
// policy/run.mjs --policy-pack-config <file>` on the quickstart, once with a
// config each app breaks in one way, once with one it meets. And both ways
// the pack starts: as an executable, and as the folder a language host runs
// with @pulumi/pulumi's run-policy-pack.
import { spawn } from "node:child_process";
import { writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
if (!hasPulumi) console.warn("e2e skipped: no Pulumi CLI under .tools/pulumi/bin; run scripts/bootstrap.sh");

const PACK = join(ROOT, "policy", "run.mjs");

/** Starts a pack as the CLI would and returns the first line it prints (the analyzer's port); stops it. */
async function firstLine(args: string[], cwd: string): Promise<string> {
  const child = spawn(process.execPath, args, { cwd, stdio: ["ignore", "pipe", "pipe"] });
  let out = "";
  let err = "";
  child.stderr.on("data", (d: Buffer) => (err += d));
  const exited = new Promise((ok) => child.once("exit", ok));
  try {
    return await new Promise<string>((ok, fail) => {
      child.stdout.on("data", (d: Buffer) => {
        out += d;
        if (out.includes("\n")) ok(out.split("\n")[0]!);
      });
      child.once("exit", (code) => fail(new Error(`the pack exited (${code}) before printing a port:\n${out}${err}`)));
    });
  } finally {
    child.kill("SIGKILL");
    await exited;
  }
}

describe("the pack's entry points", () => {
  it("policy/run.mjs serves the pack from any working directory", async () => {
    expect(await firstLine([PACK, "127.0.0.1:1"], tmpdir())).toMatch(/^\d+$/);
  });

  it("the policy folder is a program @pulumi/pulumi's run-policy-pack runs (what a newer language host does)", async () => {
    const runner = join(ROOT, "node_modules", "@pulumi", "pulumi", "cmd", "run-policy-pack");
    expect(await firstLine([runner, "127.0.0.1:1", "."], join(ROOT, "policy"))).toMatch(/^\d+$/);
  });
});

e2e("policy pack through the pulumi CLI", { timeout: 300_000 }, () => {
  const state = tempDir("dw-e2e-policy-state-");
  let target: LocalTarget;
  let stack: Stack;
  let configs = 0;

  beforeAll(async () => {
    // A preview of a new stack only plans creates: it calls no Cloudflare API, so the target is never started.
    target = new LocalTarget(await freePort(), state.path);
    stack = new Stack(target);
    stack.init({
      settings: JSON.stringify({
        hello: { outbound: { allow: ["api.example.org", "*.example.org"] } },
        todo: { dataOnDelete: "delete", tags: ["scratch"] },
        chat: { compatibilityDate: "2025-06-01" },
      }),
    });
  }, 120_000);

  afterAll(() => {
    stack?.remove();
    state.remove();
  });

  const preview = (config: Record<string, unknown>) => {
    const file = join(stack.dir.path, `policy-config-${++configs}.json`);
    writeFileSync(file, JSON.stringify(config));
    const r = stack.run(["preview", "--policy-pack", PACK, "--policy-pack-config", file], { check: false });
    return { code: r.code, output: r.stdout + r.stderr };
  };

  it("fails naming the app, the field and the limit of every violation", () => {
    // Quickstart quotas: hello 600, todo 600, chat 1200 requests per minute; chat 20 objects, hello none declared.
    const r = preview({
      "app-quota-ceiling": { maxObjects: 10 },
      "total-quota-ceiling": { requestsPerMinute: 2000 },
      "outbound-allowed-hosts": { allowedHosts: ["api.example.org"] },
      "data-on-delete-disposable": { disposableTag: "disposable" },
      "minimum-compatibility-date": { minimum: "2026-01-01" },
    });
    expect(r.code, r.output).not.toBe(0);
    expect(r.output).toContain("app 'chat': quota.maxObjects 20 exceeds the ceiling 10");
    // hello declares no maxObjects: it gets Quota's default, lowered to the platform's ceiling of 100.
    expect(r.output).toContain(
      "app 'hello': quota.maxObjects 100 (not declared: the platform's default) exceeds the ceiling 10",
    );
    expect(r.output).not.toContain("app 'todo': quota.maxObjects");
    expect(r.output).toContain(
      "apps 'chat' 1200, 'hello' 600, 'todo' 600: total quota.requestsPerMinute 2400 exceeds the ceiling 2000",
    );
    expect(r.output).toContain(
      "app 'hello': outbound.allow[1] '*.example.org' is not within the allowed hosts (api.example.org)",
    );
    expect(r.output).not.toContain("outbound.allow[0]");
    expect(r.output).toContain(
      `app 'todo': dataOnDelete "delete" is allowed only with the tag 'disposable' (the app's tags: scratch)`,
    );
    expect(r.output).toContain("app 'chat': compatibilityDate 2025-06-01 is older than the minimum 2026-01-01");
    expect(r.output).toMatch(/mandatory/);
  });

  it("passes when every app is within the config; an advisory violation does not fail it", () => {
    const r = preview({
      "app-quota-ceiling": { maxObjects: 100 },
      "total-quota-ceiling": { requestsPerMinute: 2400 },
      "outbound-allowed-hosts": { allowedHosts: ["*.example.org"] },
      "data-on-delete-disposable": { disposableTag: "scratch" },
      "minimum-compatibility-date": { enforcementLevel: "advisory", minimum: "2026-01-01" },
    });
    expect(r.code, r.output).toBe(0);
    expect(r.output).toContain("app 'chat': compatibilityDate 2025-06-01 is older than the minimum 2026-01-01");
    expect(r.output).toMatch(/advisory/);
    expect(r.output).not.toMatch(/exceeds the ceiling|not within the allowed hosts|allowed only with the tag/);
  });
});
