// `dynamic-workers` and its `local` command: help, flag errors, the start
// banner, one log line per API call, and a clean stop on SIGINT/SIGTERM.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../provider/cli/index.js";
import { parseLocalFlags } from "../../provider/cli/local-command.js";
import { LOCK_FILE } from "../../provider/local/lock.js";
import { TOKEN, jsApp, startHost, tempDir } from "../helpers/host.js";
import { DATE, esm, startTarget, upload } from "./helpers.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  return { out, err };
}

afterEach(() => {
  vi.restoreAllMocks();
});

describe("dynamic-workers", () => {
  it("lists its commands on --help", async () => {
    const { out } = capture();
    expect(await main(["--help"])).toBe(0);
    expect(out.join("\n")).toMatch(
      /Usage: dynamic-workers <command>[\s\S]*\n {2}local +serve the Cloudflare API subset/,
    );
    expect(out.join("\n")).toMatch(/\n {2}preview-comment +turn 'pulumi preview --json' into a pull-request comment/);
  });

  it("refuses an unknown command, naming it", async () => {
    const { err } = capture();
    expect(await main(["deploy-everything"])).toBe(2);
    expect(err.join("\n")).toMatch(/unknown command 'deploy-everything'/);
  });

  it("refuses a bad flag, naming it", async () => {
    const { err } = capture();
    expect(await main(["local", "--prot", "1"])).toBe(2);
    expect(err.join("\n")).toMatch(/Unknown option '--prot'[\s\S]*dynamic-workers local --help/);
    expect(await main(["local", "--port", "eighty"])).toBe(2);
    expect(err.join("\n")).toMatch(/--port must be an integer from 0 to 65535, got 'eighty'/);
  });

  it("has defaults for every flag", () => {
    expect(parseLocalFlags([])).toEqual({
      port: 8787,
      state: ".dynamic-workers/local",
      host: "127.0.0.1",
      quiet: false,
      maxWorkerdRssMb: 1024,
      help: false,
    });
    expect(parseLocalFlags(["--port", "0", "--quiet"])).toMatchObject({ port: 0, quiet: true });
    expect(parseLocalFlags(["--max-workerd-rss", "0"])).toMatchObject({ maxWorkerdRssMb: 0 });
    expect(() => parseLocalFlags(["--max-workerd-rss", "lots"])).toThrow(/--max-workerd-rss must be a whole number/);
  });
});

describe("dynamic-workers local", () => {
  it("prints the API URL and start time, logs API calls, and stops on SIGINT leaving the state unlocked", async () => {
    const state = tempDir("dw-local-cli-");
    try {
      const { out } = capture();
      const run = main(["local", "--port", "0", "--state", state.path]);
      await vi.waitFor(() => expect(out.join("\n")).toMatch(/Ctrl-C stops it/), { timeout: 10_000 });
      const banner = out.join("\n");
      expect(banner).toMatch(/ready in \d+ ms/);
      const api = /API {4}(http:\/\/127\.0\.0\.1:\d+\/client\/v4)/.exec(banner)?.[1];
      expect(api).toBeDefined();
      expect(existsSync(join(state.path, LOCK_FILE))).toBe(true);
      const res = await fetch(`${api}/user/tokens/verify`, { headers: { authorization: "Bearer t" } });
      expect(res.status).toBe(200);
      await vi.waitFor(() =>
        expect(out).toContainEqual(expect.stringMatching(/^GET \/client\/v4\/user\/tokens\/verify 200 \d+ms$/)),
      );
      process.emit("SIGINT");
      expect(await run).toBe(0);
      expect(out.join("\n")).toMatch(/stopped; state kept in/);
      expect(existsSync(join(state.path, LOCK_FILE))).toBe(false);
    } finally {
      state.remove();
    }
  });

  it("stops on SIGTERM too, and --quiet logs no API call", async () => {
    const state = tempDir("dw-local-cli-");
    try {
      const { out } = capture();
      const run = main(["local", "--port", "0", "--state", state.path, "--quiet"]);
      await vi.waitFor(() => expect(out.join("\n")).toMatch(/Ctrl-C stops it/), { timeout: 10_000 });
      const api = /API {4}(\S+)/.exec(out.join("\n"))![1]!;
      await fetch(`${api}/user/tokens/verify`, { headers: { authorization: "Bearer t" } });
      process.emit("SIGTERM");
      expect(await run).toBe(0);
      expect(out.some((l) => l.startsWith("GET "))).toBe(false);
    } finally {
      state.remove();
    }
  });

  it("lists the stored scripts on start and, with workerd running, still stops cleanly on SIGINT", async () => {
    const state = tempDir("dw-local-cli-");
    try {
      const first = await startTarget({ state: state.path, quiet: true });
      await upload(
        first.cf,
        "hello",
        { main_module: "index.js", compatibility_date: DATE },
        esm("export default { fetch() { return new Response('hello'); } };"),
      );
      await first.stop();
      const { out } = capture();
      const run = main(["local", "--port", "0", "--state", state.path]);
      await vi.waitFor(() => expect(out.join("\n")).toMatch(/Ctrl-C stops it/), { timeout: 10_000 });
      const line = out.find((l) => l.includes("script hello:"))!;
      expect(line).toMatch(/script hello: http:\/\/hello\.localhost:\d+\/ {2}\(also http:\/\/127\.0\.0\.1:\d+\/\)/);
      const bare = /\(also (\S+)\)/.exec(line)![1]!;
      expect(await (await fetch(bare)).text()).toBe("hello");
      // Only our handler: Miniflare's own would exit the process before a clean stop.
      expect(process.listenerCount("SIGINT")).toBe(1);
      process.emit("SIGINT");
      expect(await run).toBe(0);
      expect(existsSync(join(state.path, LOCK_FILE))).toBe(false);
    } finally {
      state.remove();
    }
  });
});

describe("dynamic-workers apps and app", () => {
  it("list the apps with their usage against quota, in a table and as JSON, from the environment's URL and token", async () => {
    const host = await startHost({ config: { cacheTtlSeconds: 0 } });
    const env = { DYNAMIC_WORKERS_CONTROL_URL: host.url.toString(), DYNAMIC_WORKERS_CONTROL_TOKEN: TOKEN };
    const saved = { ...process.env };
    Object.assign(process.env, env);
    try {
      await host.control.rollOut("alpha", jsApp(`export default { fetch() { return new Response("a"); } };`), {
        quota: { maxObjects: 7 },
      });
      await host.control.rollOut("beta", jsApp(`export default { fetch() { return new Response("b"); } };`));
      let c = capture();
      expect(await main(["apps"])).toBe(0);
      const lines = c.out.join("\n").split("\n");
      expect(lines[0]).toMatch(/^NAME +VERSION +OBJECTS +STORED +REQ\/MIN +ERRORS$/);
      expect(lines[1]).toMatch(/^alpha +[0-9a-f]{12} +0\/7 +0 B\/\d/);
      expect(lines[2]).toMatch(/^beta +[0-9a-f]{12} +0\/100 /);
      vi.restoreAllMocks();
      c = capture();
      expect(await main(["apps", "--json"])).toBe(0);
      const apps = JSON.parse(c.out.join("")) as { name: string; usage: { objects: { limit: number } } }[];
      expect(apps.map((a) => [a.name, a.usage.objects.limit])).toEqual([
        ["alpha", 7],
        ["beta", 100],
      ]);
      vi.restoreAllMocks();
      c = capture();
      expect(await main(["app", "alpha", "--json"])).toBe(0);
      expect(JSON.parse(c.out.join(""))).toMatchObject({ name: "alpha", quota: { maxObjects: 7 } });
      vi.restoreAllMocks();
      c = capture();
      expect(await main(["app", "nobody"])).toBe(1);
      expect(c.err.join("\n")).toMatch(/no app named 'nobody'/);
      expect(await main(["app"])).toBe(2);
      expect(await main(["apps", "--frobnicate"])).toBe(2);
      expect(c.err.join("\n")).toMatch(/unknown option '--frobnicate'/);
      // logs and errors of an app that logs and throws.
      await host.control.rollOut(
        "noisy",
        jsApp(
          `export default { fetch(request) { console.log("hello from noisy"); if (new URL(request.url).pathname === "/boom") throw new Error("noisy boom"); return new Response("ok"); } };`,
        ),
        { logs: true },
      );
      await host.fetch("/apps/noisy/");
      const boom = await host.fetch("/apps/noisy/boom");
      const { requestId } = ((await boom.json()) as { error: { requestId: string } }).error;
      let logs: { message: string }[] = [];
      for (let i = 0; i < 40 && !logs.some((l) => l.message.includes("hello from noisy")); i++) {
        vi.restoreAllMocks();
        c = capture();
        expect(await main(["logs", "noisy", "--json"])).toBe(0);
        logs = JSON.parse(c.out.join(""));
        if (!logs.length) await new Promise((r) => setTimeout(r, 250));
      }
      expect(logs.some((l) => l.message.includes("hello from noisy"))).toBe(true);
      vi.restoreAllMocks();
      c = capture();
      expect(await main(["errors", "noisy"])).toBe(0);
      expect(c.out.join("\n")).toMatch(new RegExp(`${requestId}  .*noisy boom`));
      expect(await main(["logs"])).toBe(2);
      // A wrong token: the host's refusal, exit 1, and the token is not printed.
      process.env.DYNAMIC_WORKERS_CONTROL_TOKEN = "wrong-token-0123456789";
      expect(await main(["apps"])).toBe(1);
      expect(c.err.join("\n")).toMatch(/401|unauthorized/i);
      expect(c.err.join("\n")).not.toContain("wrong-token-0123456789");
    } finally {
      process.env = saved;
      await host.dispose();
    }
  });
});
