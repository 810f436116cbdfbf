// npm run bench:apps — bundling and checking apps the way the App resource
// does, on the built dist/ (issue 5).
//
// Generates BENCH_APPS (200) small distinct apps in a temp folder
// (bench/apps/app-files.mjs): a few TS files each with imports between them
// (one type-only), every third with a Durable Object class. Then, per app,
// in the order the App resource (provider/resources/app/resource.ts) runs it:
//   bundle  bundleApp(source) (esbuild, the Workers settings, metafile)
//   cache   each module into the ModuleCache (DYNAMIC_WORKERS_CACHE)
//   hash    prepareVersion of the bundled contents → versionHash
//   check   checkApp() on the state the engine gets (modules → {type, sha256, size})
// against a baseline in the same run: esbuild build() of the same entry with
// the same bundling settings and nothing else (no metafile, cache, hash or check).
// Each variant runs in a fresh Node process: *cold* is its first pass (esbuild
// service not started, empty cache), *warm* its second pass over the same
// apps (cache full), one app after the other. *Concurrent* is a third pass
// with every app started at once, as a Pulumi program constructs them.
// BENCH_ROUNDS (3) rounds, each variant in turn; figures are medians of rounds.
// State bytes per app: JSON of the AppState (no `__provider`), plain and with
// its secrets (controlToken, secrets) in the encrypted shape a state file
// keeps them in. Target: under 2 KB per app.
// A missed target is reported, never fatal; only errors exit non-zero.
import { spawn } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join, relative } from "node:path";
import { fileURLToPath } from "node:url";
import { generateApps } from "./apps/app-files.mjs";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const APPS = Number(process.env.BENCH_APPS ?? 200);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const TARGETS = { stateBytes: 2048 };
const CHILD_TIMEOUT_MS = 5 * 60_000;

// The state fields the quickstart's platform hands every app (provider/resources/platform/component.ts, local target).
const PLATFORM = {
  controlUrl: "http://127.0.0.1:8787/_scripts/dynamic-workers",
  controlToken: "0".repeat(64), // 32 random bytes as hex
  maxQuota: { maxObjects: 100, requestsPerMinute: 60_000 },
};

/** The size-true shape of a secret in a Pulumi state file (random bytes stand in for the ciphertext). */
function secretEnvelope(value) {
  const plain = Buffer.byteLength(JSON.stringify(value));
  const b64 = (n) => Buffer.alloc(n, 7).toString("base64");
  return {
    "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
    ciphertext: `v1:${b64(12)}:${b64(plain + 16)}`,
  };
}

// ---------------------------------------------------------------------------
// Child: one variant, three passes, figures as JSON on stdout.

/** The built modules the child measures, imported once DYNAMIC_WORKERS_CACHE points at its cache. */
async function loadTools(cacheDir) {
  process.env.DYNAMIC_WORKERS_CACHE = cacheDir;
  const dist = (p) => import(join(root, "dist", "provider", p));
  const esbuild = await import("esbuild");
  const { BUILD_OPTIONS, bundleApp } = await dist("bundle/bundle-app.js");
  // Our bundling settings without what bundleApp adds (metafile, whitespace minifying, comment dropping).
  const {
    metafile: _m,
    minifyWhitespace: _w,
    minifyIdentifiers: _i,
    minifySyntax: _s,
    legalComments: _l,
    charset: _c,
    sourcemap: _sm,
    ...baselineOptions
  } = BUILD_OPTIONS;
  const { prepareVersion } = await dist("control-client/client.js");
  const { moduleCache } = await dist("resources/app/ops.js");
  const { checkApp } = await dist("resources/app/check.js");
  return { esbuild, baselineOptions, bundleApp, prepareVersion, moduleCache, checkApp };
}

async function baseline({ esbuild, baselineOptions }, app) {
  const t0 = performance.now();
  const r = await esbuild.build({ ...baselineOptions, absWorkingDir: app.dir, entryPoints: ["index.ts"] });
  if (!r.outputFiles[0]?.text) throw new Error(`${app.name}: no output`);
  return { total: performance.now() - t0 };
}

/** AppState (provider/resources/app/state.ts): grouped, as the engine stores it. */
function appState(app, bundle, modules, versionHash, env) {
  return {
    name: app.name,
    code: {
      versionHash,
      mainModule: bundle.mainModule,
      modules,
      source: { root: relative(process.cwd(), bundle.root) || ".", entry: bundle.entry },
      compatibilityDate: "2026-07-01",
      compatibilityFlags: [],
      durableObject: app.durableObject,
      env,
    },
    settings: {
      quota: { requestsPerMinute: 600, ...(app.durableObject ? { maxObjects: 5 } : {}) },
      outbound: "none",
      logs: false,
      dataOnDelete: "retain",
    },
    secrets: {},
    control: { url: PLATFORM.controlUrl, maxQuota: PLATFORM.maxQuota },
    controlToken: PLATFORM.controlToken,
  };
}

/** What the App constructor and the engine's check do, in provider/resources/app/resource.ts's order. */
async function ours({ bundleApp, prepareVersion, moduleCache, checkApp }, app, i) {
  const t0 = performance.now();
  const bundle = await bundleApp(app.dir);
  const t1 = performance.now();
  const cache = moduleCache();
  const modules = {};
  for (const [n, m] of Object.entries(bundle.modules)) {
    const bytes = Buffer.from(m.content, "utf8");
    modules[n] = { type: m.type, sha256: cache.put(bytes), size: bytes.byteLength };
  }
  const t2 = performance.now();
  const env = { GREETING: `extra ${i}` };
  // As provider/resources/app/resource.ts does: the version hash from the contents just bundled.
  const prepared = await prepareVersion({
    mainModule: bundle.mainModule,
    modules: bundle.modules,
    compatibilityDate: "2026-07-01",
    compatibilityFlags: [],
    durableObject: app.durableObject,
    env,
  });
  const t3 = performance.now();
  const state = appState(app, bundle, modules, prepared.versionHash, env);
  const failures = checkApp(state);
  const t4 = performance.now();
  if (failures.length) throw new Error(`${app.name}: check failed: ${JSON.stringify(failures)}`);
  // As the state file stores it: secrets encrypted by the passphrase secrets manager
  // (AES-256-GCM: "v1:" + base64 12-byte nonce + ":" + base64 of the JSON text and a 16-byte tag).
  const stored = { ...state, controlToken: secretEnvelope(state.controlToken), secrets: secretEnvelope(state.secrets) };
  return {
    total: t4 - t0,
    bundle: t1 - t0,
    cache: t2 - t1,
    hash: t3 - t2,
    check: t4 - t3,
    stateBytes: Buffer.byteLength(JSON.stringify(state)),
    storedBytes: Buffer.byteLength(JSON.stringify(stored)),
    bundleBytes: modules["index.js"].size,
  };
}

async function child(variant, apps, cacheDir) {
  const tools = await loadTools(cacheDir);
  const run = variant === "ours" ? (app, i) => ours(tools, app, i) : (app) => baseline(tools, app);
  const sequential = async () => {
    const out = [];
    for (let i = 0; i < apps.length; i++) out.push(await run(apps[i], i));
    return out;
  };
  const cold = await sequential();
  const warm = await sequential();
  const t0 = performance.now();
  await Promise.all(apps.map((a, i) => run(a, i)));
  const concurrentMs = performance.now() - t0;
  return { cold, warm, concurrentMs };
}

// ---------------------------------------------------------------------------
// Parent.

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const sum = (xs) => xs.reduce((a, b) => a + b, 0);
const f = (x, d = 2) => x.toFixed(d);

function runChild(variant, appsFile, cacheDir) {
  return new Promise((ok, fail) => {
    const c = spawn(process.execPath, [fileURLToPath(import.meta.url), "--child", variant, appsFile, cacheDir], {
      cwd: root,
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    let err = "";
    c.stdout.on("data", (d) => (out += d));
    c.stderr.on("data", (d) => (err += d));
    const timer = setTimeout(() => c.kill("SIGKILL"), CHILD_TIMEOUT_MS);
    c.on("error", fail);
    c.on("exit", (code, signal) => {
      clearTimeout(timer);
      if (code === 0) {
        try {
          return ok(JSON.parse(out));
        } catch (e) {
          return fail(new Error(`${variant}: bad output: ${e.message}\n${out.slice(-2000)}`));
        }
      }
      fail(new Error(`${variant} child failed (${signal ?? code}):\n${err.slice(-4000)}`));
    });
  });
}

/** ROUNDS rounds, each variant in turn, each in a fresh child with an empty cache. */
async function runRounds(tmp, appsFile) {
  const rounds = { ours: [], baseline: [] };
  for (let r = 0; r < ROUNDS; r++) {
    for (const variant of ["ours", "baseline"]) {
      const cacheDir = join(tmp, `cache-${variant}-${r}`); // empty: each round's cold pass is cold
      rounds[variant].push(await runChild(variant, appsFile, cacheDir));
      rmSync(cacheDir, { recursive: true, force: true });
    }
  }
  return rounds;
}

// Per round: p50 per app and total of the pass; then the median over rounds.
function passFigures(rounds, variant, pass, key = "total") {
  const p50s = rounds[variant].map((rd) => median(rd[pass].map((x) => x[key])));
  const totals = rounds[variant].map((rd) => sum(rd[pass].map((x) => x[key])));
  return { p50: median(p50s), total: median(totals) };
}
function ratio(rounds, pass, stat) {
  return median(
    rounds.ours.map((rd, i) => {
      const a = stat === "p50" ? median(rd[pass].map((x) => x.total)) : sum(rd[pass].map((x) => x.total));
      const b =
        stat === "p50"
          ? median(rounds.baseline[i][pass].map((x) => x.total))
          : sum(rounds.baseline[i][pass].map((x) => x.total));
      return a / b;
    }),
  );
}

function reportPasses(rounds, apps) {
  console.log("");
  console.log("pass        variant    ms/app p50   total ms   ours/baseline (p50, total)");
  for (const pass of ["cold", "warm"]) {
    for (const variant of ["ours", "baseline"]) {
      const x = passFigures(rounds, variant, pass);
      const r = variant === "ours" ? `${f(ratio(rounds, pass, "p50"))}×, ${f(ratio(rounds, pass, "total"))}×` : "";
      console.log(
        `${pass.padEnd(11)} ${variant.padEnd(10)} ${f(x.p50).padStart(10)}   ${f(x.total, 0).padStart(8)}   ${r}`,
      );
    }
  }
  const conc = (v) => median(rounds[v].map((rd) => rd.concurrentMs));
  console.log(
    `concurrent  all ${apps.length} at once (warm): ours ${f(conc("ours"), 0)} ms (${f(conc("ours") / apps.length)} ms/app), ` +
      `baseline ${f(conc("baseline"), 0)} ms (${f(conc("baseline") / apps.length)} ms/app), ratio ${f(conc("ours") / conc("baseline"))}×`,
  );
}

function reportPhases(rounds) {
  console.log("");
  console.log("ours, per phase   cold p50 ms   warm p50 ms   warm total ms");
  for (const phase of ["bundle", "cache", "hash", "check"]) {
    const c = passFigures(rounds, "ours", "cold", phase);
    const w = passFigures(rounds, "ours", "warm", phase);
    console.log(
      `  ${phase.padEnd(15)} ${f(c.p50, 3).padStart(11)}   ${f(w.p50, 3).padStart(11)}   ${f(w.total, 1).padStart(13)}`,
    );
  }
}

function reportState(rounds) {
  const states = rounds.ours[0].warm.map((x) => x.stateBytes);
  const stored = rounds.ours[0].warm.map((x) => x.storedBytes);
  const bundles = rounds.ours[0].warm.map((x) => x.bundleBytes);
  const maxState = Math.max(...states);
  const maxStored = Math.max(...stored);
  console.log("");
  console.log(
    `state per app: p50 ${median(states)} B, max ${maxState} B, mean ${f(sum(states) / states.length, 0)} B; ` +
      `with its secrets encrypted as a state file stores them: p50 ${median(stored)} B, max ${maxStored} B`,
  );
  console.log(
    `  (bundles: p50 ${median(bundles)} B each, kept in the cache, not in state; the engine stores the state twice, as inputs and outputs, plus __provider: see bench:preview)`,
  );
  console.log(
    `target: state < ${TARGETS.stateBytes} B per app: ${maxStored < TARGETS.stateBytes ? "PASS" : "MISS"} (max ${maxStored} B, secrets encrypted)`,
  );
}

async function main() {
  const tmp = mkdtempSync(join(tmpdir(), "dw-bench-apps-"));
  try {
    const apps = generateApps(join(tmp, "apps"), APPS);
    const appsFile = join(tmp, "apps.json");
    writeFileSync(appsFile, JSON.stringify(apps));
    const withDo = apps.filter((a) => a.durableObject).length;
    console.log(
      `bench:apps — ${apps.length} apps (${withDo} with a Durable Object class, ${sum(apps.map((a) => a.files))} files), ${ROUNDS} round(s), node ${process.version}`,
    );
    const rounds = await runRounds(tmp, appsFile);
    reportPasses(rounds, apps);
    reportPhases(rounds);
    reportState(rounds);
  } finally {
    rmSync(tmp, { recursive: true, force: true });
  }
}

if (process.argv[2] === "--child") {
  const [, , , variant, appsFile, cacheDir] = process.argv;
  const { readFileSync } = await import("node:fs");
  const apps = JSON.parse(readFileSync(appsFile, "utf8"));
  const result = await child(variant, apps, cacheDir);
  process.stdout.write(JSON.stringify(result));
  process.exit(0);
} else {
  await main();
}
