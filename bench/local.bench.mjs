// npm run bench:local — the local target's two promises, on the built dist/:
//   start   start to ready: startLocalTarget() in-process, and the CLI from
//           process spawn to its "ready" banner; empty state and a state
//           folder holding the host Worker (target < 1.5 s)
//   swap    a host-bundle re-upload through the `cloudflare` SDK until an
//           app is served again by the new script (target < 1 s)
// Figures are p50 over BENCH_RUNS runs (default 7). A missed target is
// reported, never fatal; only errors exit non-zero.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import Cloudflare from "cloudflare";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const dist = (p) => import(join(root, "dist", "provider", p));
const { startLocalTarget } = await dist("local/index.js");
const { buildUploadForm, UPLOAD_REQUEST_OPTIONS } = await dist("cloudflare/upload-form.js");
const { ControlClient } = await dist("control-client/client.js");
const { HOST_COMPATIBILITY_DATE, HOST_DURABLE_OBJECTS, hostBundle } = await dist("cloudflare/host-script.js");

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const TARGETS = { startMs: 1500, swapMs: 1000 };
const TOKEN = "bench-control-token-0123456789abcdef";
const ACCOUNT = "bench";
const COUNTER = `import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  async fetch() {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (n INTEGER)");
    this.ctx.storage.sql.exec("INSERT INTO hits VALUES (1)");
    return new Response(String(this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM hits").one().n));
  }
}
export default { fetch(request, env) { return env.OBJECTS.get("main").fetch(request); } };`;

const p50 = (xs) => [...xs].sort((a, b) => a - b)[Math.floor((xs.length - 1) / 2)];
const quiet = () => {};
const bundle = hostBundle().code;

function hostUpload(cf, migrate, revision) {
  const metadata = {
    main_module: "host.js",
    compatibility_date: HOST_COMPATIBILITY_DATE,
    bindings: [
      { type: "worker_loader", name: "LOADER" },
      ...Object.entries(HOST_DURABLE_OBJECTS).map(([name, class_name]) => ({
        type: "durable_object_namespace",
        name,
        class_name,
      })),
      { type: "secret_text", name: "CONTROL_TOKEN", text: TOKEN },
      { type: "json", name: "PLATFORM_CONFIG", json: { cacheTtlSeconds: 1 } },
    ],
    ...(migrate
      ? { migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: Object.values(HOST_DURABLE_OBJECTS) }] } }
      : {}),
  };
  // A changed comment makes every upload new code, as a real release would be.
  const form = buildUploadForm(metadata, [
    { name: "host.js", kind: "esm", content: `${bundle}\n// revision ${revision}\n` },
  ]);
  return cf.workers.scripts.update(
    "host",
    { account_id: ACCOUNT, metadata: form.metadata, files: form.files },
    UPLOAD_REQUEST_OPTIONS,
  );
}

const client = (target) => new Cloudflare({ apiToken: "bench", baseURL: target.apiBaseUrl, maxRetries: 0 });

/** A state folder holding the host Worker with one deployed app. */
async function hostState() {
  const state = mkdtempSync(join(tmpdir(), "dw-bench-local-"));
  const target = await startLocalTarget({ port: 0, state, quiet: true, log: quiet });
  await hostUpload(client(target), true, 0);
  const control = new ControlClient({ url: target.url, token: TOKEN });
  await control.rollOut("counter", {
    mainModule: "index.js",
    modules: { "index.js": { type: "js", content: COUNTER } },
    compatibilityDate: "2026-07-01",
    durableObject: "Counter",
  });
  await target.close();
  return state;
}

async function inProcessStart(state) {
  const t0 = performance.now();
  const target = await startLocalTarget({ port: 0, state, quiet: true, log: quiet });
  const ms = performance.now() - t0;
  await target.close();
  return ms;
}

/** Spawns the CLI and waits for its banner; returns ms from spawn. */
function cliStart(state) {
  return new Promise((resolve, reject) => {
    const t0 = performance.now();
    const child = spawn(
      process.execPath,
      [join(root, "bin", "dynamic-workers.mjs"), "local", "--port", "0", "--state", state, "--quiet"],
      { stdio: ["ignore", "pipe", "pipe"] },
    );
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => {
      out += d;
      if (/ready in \d+ ms/.test(out) && !child.killed) {
        const ms = performance.now() - t0;
        child.kill("SIGINT");
        child.once("exit", (code) =>
          code === 0 ? resolve(ms) : reject(new Error(`CLI exited ${code} after SIGINT: ${err}`)),
        );
      }
    });
    child.stderr.on("data", (d) => (err += d));
    child.once("error", reject);
  });
}

async function measureStarts() {
  const rows = [];
  const empty = mkdtempSync(join(tmpdir(), "dw-bench-local-"));
  const withHost = await hostState();
  try {
    for (const [label, state] of [
      ["empty state", empty],
      ["host Worker stored", withHost],
    ]) {
      const inProc = [];
      const cli = [];
      for (let i = 0; i < RUNS; i++) {
        inProc.push(await inProcessStart(state));
        cli.push(await cliStart(state));
      }
      rows.push({ what: `start, in-process, ${label}`, ms: p50(inProc) });
      rows.push({ what: `start, CLI spawn to banner, ${label}`, ms: p50(cli) });
    }
  } finally {
    rmSync(empty, { recursive: true, force: true });
    rmSync(withHost, { recursive: true, force: true });
  }
  return rows;
}

async function measureSwaps() {
  const state = await hostState();
  const target = await startLocalTarget({ port: 0, state, quiet: true, log: quiet });
  try {
    const cf = client(target);
    const upload = [];
    const served = [];
    let before = Number(await (await fetch(`${target.url}/apps/counter/`)).text());
    for (let i = 1; i <= RUNS; i++) {
      const t0 = performance.now();
      await hostUpload(cf, false, i);
      upload.push(performance.now() - t0);
      const res = await fetch(`${target.url}/apps/counter/`);
      const count = Number(await res.text());
      served.push(performance.now() - t0);
      if (res.status !== 200 || count !== before + 1)
        throw new Error(`after upload ${i}: status ${res.status}, count ${count}, expected ${before + 1}`);
      before = count;
    }
    return [
      { what: "host re-upload: API call answered (swap done)", ms: p50(upload) },
      { what: "host re-upload: until an app's object answers", ms: p50(served), target: TARGETS.swapMs },
    ];
  } finally {
    await target.close();
    rmSync(state, { recursive: true, force: true });
  }
}

const rows = [...(await measureStarts()).map((r) => ({ ...r, target: TARGETS.startMs })), ...(await measureSwaps())];
console.log(`local target, p50 of ${RUNS} runs (node ${process.versions.node})`);
for (const r of rows) {
  const verdict =
    r.target === undefined
      ? ""
      : r.ms <= r.target
        ? `  ok (target < ${r.target} ms)`
        : `  MISSED (target < ${r.target} ms)`;
  console.log(`  ${r.what.padEnd(52)} ${String(Math.round(r.ms)).padStart(6)} ms${verdict}`);
}
