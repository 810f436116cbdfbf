/**
 * The real pulumi CLI on the quickstart program (root Pulumi.yaml), against a
 * local target run as its own process, with a file backend in a temp folder.
 */
import { spawn, spawnSync, type ChildProcess } from "node:child_process";
import { cpSync, existsSync, renameSync } from "node:fs";
import { createServer } from "node:net";
import { join, resolve } from "node:path";
import { tempDir } from "../helpers/host.js";

export const ROOT = resolve(".");
export const PULUMI_BIN = join(ROOT, ".tools", "pulumi", "bin");

/** True when the Pulumi CLI was bootstrapped (scripts/bootstrap.sh). */
export const hasPulumi =
  existsSync(join(PULUMI_BIN, "pulumi")) && existsSync(join(PULUMI_BIN, "pulumi-language-nodejs"));

export async function freePort(): Promise<number> {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

/** The local target as a separate process (so it can be killed like a real one). */
export class LocalTarget {
  private child?: ChildProcess;
  /** `bin`: the `dynamic-workers` command to run in `cwd`, this repository's unless given (an installed package's). */
  constructor(
    readonly port: number,
    readonly state: string,
    readonly bin = join(ROOT, "bin", "dynamic-workers.mjs"),
    readonly cwd = ROOT,
  ) {}

  get apiBaseUrl(): string {
    return `http://127.0.0.1:${this.port}/client/v4`;
  }

  async start(): Promise<void> {
    // Its own process group, so a kill takes workerd (Miniflare's child) down with it.
    this.child = spawn(
      process.execPath,
      [this.bin, "local", "--port", String(this.port), "--state", this.state, "--quiet"],
      {
        cwd: this.cwd,
        stdio: ["ignore", "pipe", "pipe"],
        detached: true,
      },
    );
    let output = "";
    this.child.stdout!.on("data", (d: Buffer) => (output += d));
    this.child.stderr!.on("data", (d: Buffer) => (output += d));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${this.apiBaseUrl}/user/tokens/verify`, { headers: { authorization: "Bearer t" } });
        if (r.ok) return;
      } catch {
        // not up yet
      }
      if (this.child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`the local target did not start:\n${output}`);
  }

  /** SIGKILL to the whole group: no clean shutdown, as a crash, and no workerd left behind. */
  kill(): void {
    if (this.child?.pid && this.child.exitCode === null) {
      try {
        process.kill(-this.child.pid, "SIGKILL");
      } catch {
        // already gone
      }
    }
  }

  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((ok) => child.once("exit", ok));
    child.kill("SIGTERM");
    await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    if (child.exitCode === null) this.kill();
  }
}

export interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** One stack of the quickstart (or of the project in `cwd`) in its own backend, with its own copy of the apps. */
export class Stack {
  readonly dir = tempDir("dw-e2e-");
  readonly appsDir = join(this.dir.path, "apps");
  readonly name = "e2e";

  constructor(
    readonly target: LocalTarget,
    readonly cwd = ROOT,
  ) {
    cpSync(join(ROOT, "examples", "quickstart", "apps"), this.appsDir, { recursive: true });
  }

  env(): NodeJS.ProcessEnv {
    return {
      ...process.env,
      PATH: `${PULUMI_BIN}:${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${join(this.dir.path, "backend")}`,
      PULUMI_HOME: join(this.dir.path, "home"),
      PULUMI_CONFIG_PASSPHRASE: "e2e",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      DYNAMIC_WORKERS_CACHE: join(this.dir.path, "cache"),
    };
  }

  run(args: string[], opts: { check?: boolean } = {}): Run {
    // Only commands that read config take --config-file; init() moves the file `stack init` writes.
    const flags = ["up", "preview", "refresh", "destroy", "config"].includes(args[0]!)
      ? this.flags()
      : this.flags().slice(0, 3);
    const r = spawnSync("pulumi", [...args, ...flags], {
      cwd: this.cwd,
      env: this.env(),
      encoding: "utf8",
      maxBuffer: 64 * 1024 * 1024,
    });
    const out = { code: r.status ?? 1, stdout: r.stdout ?? "", stderr: r.stderr ?? "" };
    if (opts.check !== false && out.code !== 0) {
      throw new Error(
        `pulumi ${args.join(" ")} failed (${out.code}):\n${out.stdout.slice(-4000)}\n${out.stderr.slice(-4000)}`,
      );
    }
    return out;
  }

  /** The stack, and its config in the temp folder (not a Pulumi.<stack>.yaml in the repository). */
  flags(): string[] {
    return ["--stack", this.name, "--non-interactive", "--config-file", join(this.dir.path, "Pulumi.e2e.yaml")];
  }

  /** `pulumi up` as a child process, for the crash test. */
  spawnUp(): ChildProcess {
    return spawn("pulumi", ["up", "--yes", ...this.flags()], { cwd: this.cwd, env: this.env(), stdio: "pipe" });
  }

  init(config: Record<string, string> = {}): void {
    spawnSync("mkdir", ["-p", join(this.dir.path, "backend")]);
    this.run(["stack", "init"]);
    const written = join(this.cwd, "Pulumi.e2e.yaml");
    if (existsSync(written)) renameSync(written, join(this.dir.path, "Pulumi.e2e.yaml"));
    this.setConfig({ apiBaseUrl: this.target.apiBaseUrl, appsDir: this.appsDir, ...config });
  }

  setConfig(values: Record<string, string>): void {
    for (const [k, v] of Object.entries(values)) this.run(["config", "set", k, v]);
  }

  /** The control token, from the state (the export shows secrets as {plaintext}). */
  controlToken(): string {
    const st = JSON.parse(this.run(["stack", "export", "--show-secrets"]).stdout) as {
      deployment: { resources: { type: string; outputs?: { controlToken?: unknown } }[] };
    };
    const token = st.deployment.resources.find((r) => r.type.endsWith(":HostWorker"))?.outputs?.controlToken;
    if (typeof token === "string") return token;
    return JSON.parse((token as { plaintext: string }).plaintext) as string;
  }

  outputs(): { controlUrl: string; urls: Record<string, string>; versions: Record<string, string> } {
    return JSON.parse(this.run(["stack", "output", "--json"]).stdout);
  }

  /** A Node-reachable URL of an app: path routing through the local target's /_scripts/<script>. */
  appUrl(app: string): string {
    return `${this.outputs().controlUrl}/apps/${app}/`;
  }

  remove(): void {
    this.dir.remove();
  }
}

/** The engine events of `preview --json`: the steps by resource name. */
export function previewSteps(json: string): { op: string; name: string; type: string; diffs?: string[] }[] {
  const parsed = JSON.parse(json) as { steps?: { op: string; urn: string; diffReasons?: string[] }[] };
  return (parsed.steps ?? []).map((s) => ({
    op: s.op,
    name: s.urn.split("::").pop()!,
    type: s.urn.split("::")[2]!,
    diffs: s.diffReasons,
  }));
}
