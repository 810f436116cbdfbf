// The operating commands run as the real binary (bin/dynamic-workers.mjs) against the real host on workerd:
// versions, rollout, rollback and logs --follow, each with --help, and their errors (no token, wrong app,
// host down, bad usage), with plain output when piped. Colour on a terminal is checked on the style helper.
import { spawn, spawnSync } from "node:child_process";
import { fileURLToPath } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareVersion } from "../../provider/control-client/client.js";
import { paint, shareBar, styled } from "../../provider/cli/style.js";
import { TOKEN, jsApp, startHost, tempDir, type TestHost } from "../helpers/host.js";

const BIN = fileURLToPath(new URL("../../bin/dynamic-workers.mjs", import.meta.url));
const SOURCE = `export default { fetch(request, env) { console.log("hello from " + env.V + " " + new URL(request.url).pathname); return new Response(env.V); } };`;

let host: TestHost;
let a: string;
let b: string;
const cwd = tempDir("dw-cli-operate-");
beforeAll(async () => {
  host = await startHost({ config: { cacheTtlSeconds: 0 } });
  a = (await host.control.rollOut("todo", jsApp(SOURCE, { env: { V: "A" } }), { logs: true })).versionHash;
  const pb = await prepareVersion(jsApp(SOURCE, { env: { V: "B" } }));
  await host.control.putVersion("todo", pb);
  b = pb.versionHash;
});
afterAll(async () => {
  await host?.dispose();
  cwd.remove();
});

/** The environment the commands find the host in; `token: null` leaves the token out. */
function env(token: string | null = TOKEN, url = host.url.toString()): NodeJS.ProcessEnv {
  const e: NodeJS.ProcessEnv = { ...process.env, DYNAMIC_WORKERS_CONTROL_URL: url, NO_COLOR: undefined };
  delete e.NO_COLOR;
  if (token === null) delete e.DYNAMIC_WORKERS_CONTROL_TOKEN;
  else e.DYNAMIC_WORKERS_CONTROL_TOKEN = token;
  return e;
}

function run(args: string[], e = env()): { code: number | null; out: string; err: string } {
  const r = spawnSync(process.execPath, [BIN, ...args], { cwd: cwd.path, env: e, encoding: "utf8", timeout: 30_000 });
  return { code: r.status, out: r.stdout, err: r.stderr };
}

describe("versions, rollout and rollback", () => {
  it("list versions, roll out by a hash prefix, move the percent, and cancel with rollback, warning of the drift", () => {
    const v = run(["versions", "todo"]);
    expect(v.code).toBe(0);
    expect(v.out).toMatch(new RegExp(`${a.slice(0, 12)} .* 100 % +current`));
    expect(v.out).toContain(b.slice(0, 12));
    expect(v.out).not.toContain("\u001b[");
    const json = JSON.parse(run(["versions", "todo", "--json"]).out) as { versions: { versionHash: string }[] };
    expect(json.versions.map((x) => x.versionHash).sort()).toEqual([a, b].sort());

    const r10 = run(["rollout", "todo", "10", "--version", b.slice(0, 8)]);
    expect(r10.code).toBe(0);
    expect(r10.out).toContain(`rolling out todo: ${a.slice(0, 8)} → ${b.slice(0, 8)} at 10 %`);
    expect(r10.err).toMatch(/warning: the stack now differs .* 'pulumi refresh' .* 'pulumi up'/);
    const r30 = run(["rollout", "todo", "30%"]);
    expect(r30.code).toBe(0);
    expect(r30.out).toContain("at 30 %");
    expect(run(["versions", "todo"]).out).toMatch(/rolling out .* at 30 %[\s\S]* 30 % +candidate\n.* 70 % +current/);

    const back = run(["rollback", "todo"]);
    expect(back.code).toBe(0);
    expect(back.out).toContain(`cancelled the rollout ${a.slice(0, 8)} → ${b.slice(0, 8)} at 30 %`);
    expect(back.err).toMatch(/pulumi refresh/);
    const same = run(["rollback", "todo", a.slice(0, 10)]);
    expect(same).toMatchObject({ code: 0, err: "" });
    expect(same.out).toContain("nothing changed");
  });

  it("roll back to a named version and out again to 100 %", () => {
    const full = run(["rollout", "todo", "100", "--version", b]);
    expect(full.code).toBe(0);
    expect(full.out).toContain(`done todo: ${b.slice(0, 8)} serves everything`);
    const back = run(["rollback", "todo", a.slice(0, 8)]);
    expect(back.code).toBe(0);
    expect(back.out).toContain(`rolled back todo: ${b.slice(0, 8)} → ${a.slice(0, 8)}`);
  });

  it("fail clearly: no token, wrong app, unknown version, host down, bad percent, nothing to roll out", () => {
    const noToken = run(["versions", "todo"], env(null));
    expect(noToken.code).toBe(2);
    expect(noToken.err).toMatch(/no control token: set DYNAMIC_WORKERS_CONTROL_TOKEN/);
    const badToken = run(["versions", "todo"], env("wrong-token"));
    expect(badToken.code).toBe(1);
    expect(badToken.err).toMatch(/401 unauthorized/);
    expect(badToken.err).not.toContain("wrong-token");
    for (const cmd of [
      ["versions", "nope"],
      ["rollback", "nope"],
      ["rollout", "nope", "10", "--version", b],
    ]) {
      const r = run(cmd);
      expect(r.code).toBe(1);
      expect(r.err).toMatch(/no app named 'nope'/);
    }
    const unknown = run(["rollback", "todo", "ffffffff"]);
    expect(unknown).toMatchObject({ code: 1 });
    expect(unknown.err).toMatch(/keeps no version ffffffff/);
    const down = run(["versions", "todo"], env(TOKEN, "http://127.0.0.1:9"));
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/cannot reach the control API at http:\/\/127\.0\.0\.1:9/);
    const zero = run(["rollout", "todo", "0"]);
    expect(zero.code).toBe(2);
    expect(zero.err).toMatch(/<percent> must be at least 0.01/);
    const nothing = run(["rollout", "todo", "20"]);
    expect(nothing.code).toBe(1);
    expect(nothing.err).toMatch(/has no rollout to move; give the candidate with --version/);
    expect(run(["rollout", "todo"]).code).toBe(2);
    expect(run(["versions", "todo", "--bogus"]).err).toMatch(/unknown option '--bogus'/);
  });

  it("each has --help", () => {
    for (const cmd of ["versions", "rollback", "rollout", "logs", "apps", "app", "errors"]) {
      const r = run([cmd, "--help"]);
      expect(r.code).toBe(0);
      expect(r.out).toMatch(new RegExp(`^Usage: dynamic-workers ${cmd}`));
    }
    expect(run(["logs", "--help"]).out).toMatch(/--follow, -f/);
    expect(run(["--help"]).out).toMatch(/\n {2}rollout +instantly set the percent/);
  });
});

describe("logs --follow", () => {
  it("prints new lines as the app logs them, once each, and stops on Ctrl-C with 0", async () => {
    const child = spawn(process.execPath, [BIN, "logs", "todo", "--follow", "--interval", "200"], {
      cwd: cwd.path,
      env: env(),
    });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    const exited = new Promise<number | null>((resolve) => child.on("exit", (code) => resolve(code)));
    const until = async (what: () => boolean) => {
      for (let i = 0; i < 150 && !what(); i++) await new Promise((r) => setTimeout(r, 100));
      expect(what()).toBe(true);
    };
    await until(() => err.includes("following the logs of 'todo'"));
    for (const path of ["/one", "/two"]) await (await host.fetch(`/apps/todo${path}`)).text();
    await until(() => out.includes("hello from A /two"));
    await new Promise((r) => setTimeout(r, 600));
    expect(out.match(/hello from A \/one/g)?.length).toBe(1);
    expect(out).not.toContain("\u001b[");
    child.kill("SIGINT");
    expect(await exited).toBe(0);
  }, 30_000);

  it("ends with 1 when the host cannot be reached or the app does not exist", () => {
    const down = run(["logs", "todo", "--follow"], env(TOKEN, "http://127.0.0.1:9"));
    expect(down.code).toBe(1);
    expect(down.err).toMatch(/cannot reach the control API/);
    const wrong = run(["logs", "nope", "-f"]);
    expect(wrong.code).toBe(1);
    expect(wrong.err).toMatch(/404 not_found/);
  });
});

describe("styles", () => {
  const tty = { isTTY: true, write: () => true };
  const pipe = { isTTY: false, write: () => true };
  it("colour only a terminal, and not with NO_COLOR", () => {
    const saved = process.env.NO_COLOR;
    try {
      delete process.env.NO_COLOR;
      expect(styled(tty)).toBe(true);
      expect(paint("red", "x", tty)).toBe("\u001b[31mx\u001b[0m");
      expect(shareBar(30, tty)).toMatch(/█{3}.*░{7}.* 30 %/);
      expect(paint("red", "x", pipe)).toBe("x");
      expect(shareBar(30, pipe)).toBe("30 %");
      process.env.NO_COLOR = "1";
      expect(paint("red", "x", tty)).toBe("x");
    } finally {
      if (saved === undefined) delete process.env.NO_COLOR;
      else process.env.NO_COLOR = saved;
    }
  });
});
