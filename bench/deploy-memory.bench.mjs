// npm run bench:deploy-memory — the host isolate's peak V8 heap while it takes
// the largest version the schema allows (LIMITS.maxCodeBytes of code, half
// text, half binary), on real workerd, read through workerd's inspector
// (Runtime.getHeapUsage, sampled every 5 ms, ArrayBuffer contents counted).
//
// In the same run, two hosts, each in a fresh workerd:
//   before  the host bundle of BENCH_BASELINE_REF (default: the commit before
//           contents went in pieces), sent the old way: one JSON body with
//           every module's content inline (base64 for binary kinds)
//   after   this tree's dist/host.js, sent by this tree's ControlClient:
//           each content in 1 MiB pieces, then the version by digests
// Each reports the upload (putApp + putVersion) and the deploy (whose start
// probe loads the version: the loader needs every module in memory) apart.
// Target: the upload's peak under 64 MB (Cloudflare bounds an isolate at 128 MB).
// workerd's inspector cannot force a GC here, so a figure is the most the
// heap held (used) and the most V8 reserved (total), both over the phase.
import { execFileSync } from "node:child_process";
import { mkdtempSync, rmSync, symlinkSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { heapSampler } from "./lib/inspector.mjs";
import { TOKEN, dist, hostWorker } from "./lib/host-worker.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const TARGET_MB = 64;
const MB = 1e6;
const git = (...args) => execFileSync("git", args, { cwd: root, encoding: "utf8" }).trim();

/** The commit before the piece route, or BENCH_BASELINE_REF. */
function baselineRef() {
  if (process.env.BENCH_BASELINE_REF) return process.env.BENCH_BASELINE_REF;
  const first = git("log", "--format=%H", "-S", "putModuleChunk", "--", "provider/shared/control/routes.ts")
    .split("\n")
    .at(-1);
  return `${first}^`;
}

/** Builds the host bundle of `ref` in a temporary folder; returns its code. */
function baselineBundle(ref) {
  const dir = mkdtempSync(join(tmpdir(), "dw-bench-baseline-"));
  try {
    execFileSync("sh", ["-c", `git archive ${ref} provider scripts package.json | tar -x -C ${dir}`], { cwd: root });
    symlinkSync(join(root, "node_modules"), join(dir, "node_modules"));
    execFileSync(process.execPath, ["scripts/build-host.mjs"], { cwd: dir, stdio: "ignore" });
    return readFileSync(join(dir, "dist", "host.js"), "utf8");
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Deterministic letters (text) or bytes (binary) that do not compress away. */
function filler(n, seed, binary) {
  const out = new Uint8Array(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    out[i] = binary ? x >>> 24 : 97 + ((x >>> 24) % 26);
  }
  return out;
}

/** The largest version the schema allows: maxCodeBytes of code over 24 modules. */
async function largestVersion() {
  const { LIMITS } = await dist("shared/schema/index.js");
  const main = `export default { fetch() { return new Response("ok"); } };`;
  const modules = { "index.js": { type: "js", content: main } };
  const count = 24;
  const each = Math.floor((LIMITS.maxCodeBytes - main.length) / count);
  for (let i = 0; i < count; i++) {
    const binary = i % 2 === 1;
    const bytes = filler(each, i + 1, binary);
    modules[`m${i}.${binary ? "bin" : "txt"}`] = binary
      ? { type: "data", content: Buffer.from(bytes).toString("base64") }
      : { type: "text", content: Buffer.from(bytes).toString("latin1") };
  }
  return {
    version: { mainModule: "index.js", modules, compatibilityDate: "2026-07-01" },
    codeBytes: main.length + each * count,
  };
}

const INSPECTOR_PORT = 9400 + Math.floor(Math.random() * 400);

/**
 * One host in a fresh workerd: the upload's and the deploy's peaks. With
 * `oldSpaceMB`, workerd runs with V8's --max-old-space-size at that bound
 * (an isolate over it aborts workerd), and the result says whether the
 * upload and the deploy completed.
 */
async function measure(code, send, oldSpaceMB) {
  const { options } = await hostWorker();
  if (oldSpaceMB) process.env.MINIFLARE_WORKERD_V8_FLAGS = `--max-old-space-size=${oldSpaceMB}`;
  else delete process.env.MINIFLARE_WORKERD_V8_FLAGS;
  const mf = new Miniflare({
    workers: [{ ...options, modules: [{ type: "ESModule", path: "host.js", contents: code }] }],
    inspectorPort: INSPECTOR_PORT,
    cf: { colo: "LOCAL", country: "XX" },
  });
  try {
    await mf.ready;
    const url = (await mf.unsafeGetDirectURL("host")).toString();
    const heap = await heapSampler(INSPECTOR_PORT, "host");
    const idle = await heap.reset();
    const hash = await send(url).catch((e) => ({ failed: e }));
    const upload = heap.peak();
    if (hash.failed) return { idle, upload, uploaded: false, deployed: false, why: hash.failed.message };
    await heap.reset();
    const deployed = await fetch(`${url}_control/v1/apps/big/deploy`, {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ versionHash: hash, expectedCurrent: null }),
    }).catch((e) => ({ ok: false, status: 0, text: async () => e.message }));
    const deploy = heap.peak();
    await heap.close().catch(() => {});
    if (!deployed.ok) return { idle, upload, deploy, uploaded: true, deployed: false, why: await deployed.text() };
    return { idle, upload, deploy, uploaded: true, deployed: true };
  } finally {
    await mf.dispose();
  }
}

/** The old protocol: missing digests, then the whole version inline in one body. */
async function sendInline(url, version) {
  const auth = { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" };
  const put = await fetch(`${url}_control/v1/apps/big`, { method: "PUT", headers: auth, body: "{}" });
  if (!put.ok) throw new Error(`putApp: ${put.status} ${await put.text()}`);
  const res = await fetch(`${url}_control/v1/apps/big/versions`, {
    method: "POST",
    headers: auth,
    body: JSON.stringify(version),
  });
  if (!res.ok) throw new Error(`putVersion: ${res.status} ${(await res.text()).slice(0, 300)}`);
  return (await res.json()).versionHash;
}

/** This tree's client: contents in pieces, then the version by digests. */
async function sendPieces(url, version) {
  const { ControlClient, prepareVersion } = await dist("control-client/client.js");
  const client = new ControlClient({ url, token: TOKEN });
  const prepared = await prepareVersion(version);
  await client.putApp("big");
  return (await client.putVersion("big", prepared)).versionHash;
}

const fmt = (b) => `${(b / MB).toFixed(1)} MB`;

async function main() {
  const { version, codeBytes } = await largestVersion();
  const ref = baselineRef();
  const bound = Number(process.env.BENCH_OLD_SPACE_MB ?? 48);
  console.log(`largest version: ${Object.keys(version.modules).length} modules, ${fmt(codeBytes)} of code`);
  console.log(
    `before: host of ${git("rev-parse", "--short", ref)}, one inline JSON body; after: this tree, 1 MiB pieces`,
  );
  const { hostBundle } = await dist("cloudflare/host-script.js");
  const hosts = {
    before: { code: baselineBundle(ref), send: (url) => sendInline(url, version) },
    after: { code: hostBundle().code, send: (url) => sendPieces(url, version) },
  };
  const r = {};
  for (const [name, h] of Object.entries(hosts)) {
    r[name] = await measure(h.code, h.send);
    r[name].bounded = await measure(h.code, h.send, bound);
  }
  const peak = (p) => (p ? `used ${fmt(p.used).padStart(9)} reserved ${fmt(p.total).padStart(9)}` : "-");
  for (const [name, x] of Object.entries(r)) {
    const b = x.bounded;
    console.log(
      `${name.padEnd(7)} upload ${peak(x.upload)}   deploy ${peak(x.deploy)}   under --max-old-space-size=${bound}: upload ${b.uploaded ? "ok" : "ABORTED"}, deploy ${b.deployed ? "ok" : "ABORTED"}`,
    );
  }
  console.log(
    `upload peak after/before: ${(r.after.upload.used / r.before.upload.used).toFixed(2)} (used), ${(r.after.upload.total / r.before.upload.total).toFixed(2)} (reserved)`,
  );
  const met = r.after.bounded.uploaded && r.after.bounded.deployed && bound < TARGET_MB;
  console.log(
    `target: the largest deploy completes with the host's old space bounded at ${bound} MB (< ${TARGET_MB} MB): ${met ? "met" : "NOT met"}`,
  );
  console.log("(sampled peaks include garbage V8 had no reason to collect yet; the bounded run is the real test)");
}

await main();
