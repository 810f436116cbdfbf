// Helpers for benchmarks that drive the real pulumi CLI (bench/preview.bench.mjs):
// a local target as its own process, and a stack in a temp file backend with
// its config in a temp file, as test/e2e/helpers.ts does. Every child runs in
// its own process group, so a timeout or a cleanup ends it and everything it
// started (language host, program, provider plugins, workerd).
import { spawn } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, renameSync } from "node:fs";
import { createServer } from "node:net";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

export const ROOT = join(dirname(fileURLToPath(import.meta.url)), "..");
export const PULUMI_BIN = join(ROOT, ".tools", "pulumi", "bin");
export const hasPulumi =
  existsSync(join(PULUMI_BIN, "pulumi")) && existsSync(join(PULUMI_BIN, "pulumi-language-nodejs"));

/** Process groups still running, ended by killAll() (cleanup on error or signal). */
const live = new Set();

function killGroup(child, signal) {
  try {
    process.kill(-child.pid, signal);
  } catch {
    // already gone
  }
}

export function killAll() {
  for (const child of live) killGroup(child, "SIGKILL");
  live.clear();
}

export async function freePort() {
  return new Promise((ok, fail) => {
    const s = createServer();
    s.listen(0, "127.0.0.1", () => {
      const { port } = s.address();
      s.close(() => ok(port));
    });
    s.on("error", fail);
  });
}

/**
 * CPU milliseconds of this process's finished children (and theirs, as each
 * parent reaps its own): /proc/self/stat cutime + cstime. Measured around
 * one command, it is that command's CPU, all its processes together, which
 * a shared machine's load inflates far less than wall time.
 */
export function childrenCpuMs() {
  try {
    const stat = readFileSync("/proc/self/stat", "utf8");
    const f = stat.slice(stat.lastIndexOf(")") + 2).split(" ");
    // Fields 16 and 17 of stat(5), in clock ticks (100 per second on Linux).
    return (Number(f[13]) + Number(f[14])) * 10;
  } catch {
    return Number.NaN;
  }
}

/**
 * Runs a command in its own process group; resolves with {code, stdout,
 * stderr, ms, cpuMs}. Past timeoutMs the whole group is killed and it rejects.
 */
export function run(cmd, args, { cwd, env, timeoutMs }) {
  return new Promise((ok, fail) => {
    const t0 = performance.now();
    const cpu0 = childrenCpuMs();
    const child = spawn(cmd, args, { cwd, env, detached: true, stdio: ["ignore", "pipe", "pipe"] });
    live.add(child);
    let stdout = "";
    let stderr = "";
    let timedOut = false;
    child.stdout.on("data", (d) => (stdout += d));
    child.stderr.on("data", (d) => (stderr += d));
    const timer = setTimeout(() => {
      timedOut = true;
      killGroup(child, "SIGKILL");
    }, timeoutMs);
    child.on("error", (e) => {
      clearTimeout(timer);
      live.delete(child);
      fail(e);
    });
    child.on("close", (code) => {
      clearTimeout(timer);
      live.delete(child);
      // Anything the command left behind in its group (e.g. a plugin) goes too.
      killGroup(child, "SIGKILL");
      const ms = performance.now() - t0;
      if (timedOut)
        return fail(
          new Error(
            `${cmd} ${args.join(" ")} timed out after ${timeoutMs / 1000} s:\n${stdout.slice(-3000)}\n${stderr.slice(-3000)}`,
          ),
        );
      ok({ code: code ?? 1, stdout, stderr, ms, cpuMs: childrenCpuMs() - cpu0 });
    });
  });
}

/** The local target as a separate process (<root>/bin/dynamic-workers.mjs local), on 127.0.0.1. */
export class LocalTarget {
  constructor(port, state, root = ROOT) {
    this.port = port;
    this.state = state;
    this.root = root;
  }

  get apiBaseUrl() {
    return `http://127.0.0.1:${this.port}/client/v4`;
  }

  async start() {
    const child = spawn(
      process.execPath,
      [
        join(this.root, "bin", "dynamic-workers.mjs"),
        "local",
        "--port",
        String(this.port),
        "--state",
        this.state,
        "--quiet",
      ],
      {
        cwd: this.root,
        detached: true,
        stdio: ["ignore", "pipe", "pipe"],
      },
    );
    this.child = child;
    live.add(child);
    let output = "";
    child.stdout.on("data", (d) => (output += d));
    child.stderr.on("data", (d) => (output += d));
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
      try {
        const r = await fetch(`${this.apiBaseUrl}/user/tokens/verify`, { headers: { authorization: "Bearer t" } });
        if (r.ok) return;
      } catch {
        // not up yet
      }
      if (child.exitCode !== null) break;
      await new Promise((r) => setTimeout(r, 100));
    }
    await this.stop();
    throw new Error(`the local target did not start:\n${output}`);
  }

  async stop() {
    const child = this.child;
    if (!child) return;
    this.child = undefined;
    if (child.exitCode === null && child.signalCode === null) {
      const exited = new Promise((ok) => child.once("exit", ok));
      killGroup(child, "SIGTERM");
      await Promise.race([exited, new Promise((r) => setTimeout(r, 10_000))]);
    }
    killGroup(child, "SIGKILL"); // workerd and anything else left in the group
    live.delete(child);
  }
}

/**
 * A private copy of the built package and the quickstart program under
 * <dir>: package.json, bin/, dist/, Pulumi.yaml, examples/quickstart/index.ts.
 * Inside the repository (e.g. under the gitignored .dynamic-workers/), the
 * program's `pulumi-dynamic-workers` import resolves to the copy (a package
 * importing itself by name), and @pulumi/pulumi, esbuild and miniflare from
 * the repository's node_modules, so an `npm run build` elsewhere during a
 * run changes nothing the run measures.
 */
export function snapshotPackage(dir) {
  for (const p of ["package.json", "bin", "dist", "Pulumi.yaml", join("examples", "quickstart", "index.ts")]) {
    cpSync(join(ROOT, p), join(dir, p), { recursive: true });
  }
  return dir;
}

/**
 * One stack of a Pulumi project (projectDir holds its Pulumi.yaml) in its own
 * file backend under dir, with its config in dir (never a Pulumi.<stack>.yaml
 * left in the project folder).
 */
export class Stack {
  constructor({ projectDir, dir, name, timeoutMs, extraEnv = {} }) {
    this.projectDir = projectDir;
    this.dir = dir;
    this.name = name;
    this.timeoutMs = timeoutMs;
    this.extraEnv = extraEnv;
    this.configFile = join(dir, `Pulumi.${name}.yaml`);
  }

  env() {
    return {
      ...process.env,
      PATH: `${PULUMI_BIN}:${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}`,
      PULUMI_BACKEND_URL: `file://${join(this.dir, "backend")}`,
      PULUMI_HOME: join(this.dir, "home"),
      PULUMI_CONFIG_PASSPHRASE: "bench",
      PULUMI_SKIP_UPDATE_CHECK: "true",
      PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
      DYNAMIC_WORKERS_CACHE: join(this.dir, "cache"),
      ...this.extraEnv,
    };
  }

  /** Runs `pulumi <args>`; throws with the output's tail when it fails. */
  async pulumi(args, { check = true } = {}) {
    // Only commands that read config take --config-file.
    const takesConfig = ["up", "preview", "refresh", "destroy", "config"].includes(args[0]);
    const flags = [
      "--stack",
      this.name,
      "--non-interactive",
      ...(takesConfig ? ["--config-file", this.configFile] : []),
    ];
    const r = await run("pulumi", [...args, ...flags], {
      cwd: this.projectDir,
      env: this.env(),
      timeoutMs: this.timeoutMs,
    });
    if (check && r.code !== 0) {
      throw new Error(
        `pulumi ${args.join(" ")} failed (${r.code}) in ${this.projectDir}:\n${r.stdout.slice(-4000)}\n${r.stderr.slice(-4000)}`,
      );
    }
    return r;
  }

  async init(config = {}) {
    mkdirSync(join(this.dir, "backend"), { recursive: true });
    await this.pulumi(["stack", "init"]);
    const written = join(this.projectDir, `Pulumi.${this.name}.yaml`);
    if (existsSync(written)) renameSync(written, this.configFile);
    await this.setConfig(config);
  }

  async setConfig(values) {
    for (const [k, v] of Object.entries(values)) await this.pulumi(["config", "set", k, String(v)]);
  }

  /** The deployment as `pulumi stack export` prints it (secrets encrypted) and its size in bytes. */
  async exportState() {
    const r = await this.pulumi(["stack", "export"]);
    return { bytes: Buffer.byteLength(r.stdout), state: JSON.parse(r.stdout) };
  }
}

/** The summary counts of `pulumi preview`/`up` output: { update: 1, same: 203, … }. */
export function summary(stdout) {
  const counts = {};
  const block = stdout.split(/\nResources:\n/).pop() ?? "";
  for (const m of block.matchAll(
    /^\s+(?:[~+-]|\+-)?\s*(\d+) (to update|updated|to create|created|to delete|deleted|to replace|replaced|unchanged)/gm,
  )) {
    const word = m[2].replace(/^to /, "");
    const key = {
      updated: "update",
      update: "update",
      created: "create",
      create: "create",
      deleted: "delete",
      delete: "delete",
      replaced: "replace",
      replace: "replace",
      unchanged: "same",
    }[word];
    counts[key] = Number(m[1]);
  }
  return counts;
}
