// `dynamic-workers` and its `local` command: help, flag errors, the start
// banner, one log line per API call, and a clean stop on SIGINT/SIGTERM.
import { existsSync } from "node:fs";
import { join } from "node:path";
import { afterEach, describe, expect, it, vi } from "vitest";
import { main } from "../../provider/cli/index.js";
import { parseLocalFlags } from "../../provider/cli/local-command.js";
import { LOCK_FILE } from "../../provider/local/lock.js";
import { tempDir } from "../helpers/host.js";
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
      help: false,
    });
    expect(parseLocalFlags(["--port", "0", "--quiet"])).toMatchObject({ port: 0, quiet: true });
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
