// npm run bench:load — the host under load on real workerd (issue 3), on the built dist/.
//
// One Miniflare (one workerd) runs the host (dist/host.js) on a direct
// 127.0.0.1 socket; apps are deployed through the control API. Three parts:
//   1. load      100 apps (half stateless JSON, half a SQLite counter object),
//                32 connections for LOAD_SECONDS (60), requests spread over all
//                apps by path; throughput, p50/p99, errors, workerd RSS.
//   2. rate      one app with requestsPerMinute = L, flooded by RATE_CONNECTIONS
//                (16) through one whole fixed minute window; 200s vs L.
//   3. logs      the same trivial app with and without a console.log per
//                request, through the host and (reference) as bare Workers,
//                and the logging app with and without capture (what capture
//                costs), over LOG_ROUNDS (4) rounds; req/s, p50, ratios, and
//                the log lines stored.
// Knobs: LOAD_SECONDS, LOAD_CONNECTIONS (32), LOAD_APPS (100), RATE_SECONDS
// (60), RATE_LIMIT (3000 × RATE_SECONDS / 60), RATE_CONNECTIONS, LOG_ROUNDS,
// LOG_SECONDS (3), LOG_CONNECTIONS (16), LOAD_PARTS ("1,2,3"),
// BENCH_PLATFORM_CONFIG (the host's JSON config), LOAD_VERBOSE=1 (workerd --verbose).
// A missed target is reported, never fatal; only errors exit non-zero.
// Everything it starts (workerd, sockets, timers) is stopped on exit, error,
// Ctrl-C or SIGTERM, and by a watchdog if the run overstays its budget.
import { loadavg } from "node:os";
import autocannon from "autocannon";
import { Miniflare } from "miniflare";
import { TOKEN, dist, hostWorker } from "./lib/host-worker.mjs";
import { workerdPids, workerdStats } from "./lib/workerd-proc.mjs";

const num = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${v}'`);
  return n;
};

const LOAD = {
  seconds: num("LOAD_SECONDS", 60),
  connections: num("LOAD_CONNECTIONS", 32),
  apps: Math.max(2, Math.round(num("LOAD_APPS", 100))),
  objectsPerApp: 4,
  deployConcurrency: 8,
};
/** The rate run starts this long after a minute boundary and ends END_MARGIN_MS before the next one. */
const RATE_START_OFFSET_MS = 250;
const RATE_END_MARGIN_MS = 750;
const RATE_SECONDS = Math.min(num("RATE_SECONDS", 60), (60_000 - RATE_START_OFFSET_MS - RATE_END_MARGIN_MS) / 1000);
const RATE = {
  seconds: RATE_SECONDS,
  connections: num("RATE_CONNECTIONS", 16),
  // 3000 per minute for a full minute's run; scaled down with a shorter run.
  limit: Math.round(num("RATE_LIMIT", Math.max(100, Math.round((3000 * Math.min(60, num("RATE_SECONDS", 60))) / 60)))),
};
const LOG = {
  rounds: Math.max(1, Math.round(num("LOG_ROUNDS", 4))),
  seconds: num("LOG_SECONDS", 3),
  warmupSeconds: 1,
  connections: num("LOG_CONNECTIONS", 16),
};
const PARTS = new Set((process.env.LOAD_PARTS ?? "1,2,3").split(",").map((s) => s.trim()));
const TARGETS = { rateErrorPct: 10, logRps: 0.95, logP50: 1.05 };
const COMPATIBILITY_DATE = "2026-07-01";
/** Far above any rate this machine reaches: no 429 outside part 2. */
const HIGH_QUOTA = { requestsPerMinute: 10_000_000 };

// ---------------------------------------------------------------- the apps

const STATELESS_SOURCE = `
let served = 0;
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return Response.json({ app: env.APP_NAME, path: url.pathname, served: ++served });
  },
};`;

/** One counter row per object, in the object's own SQLite. */
const COUNTER_SOURCE = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
  }
  hit() {
    return this.ctx.storage.sql.exec("INSERT INTO hits (id, n) VALUES (1, 1) ON CONFLICT(id) DO UPDATE SET n = n + 1 RETURNING n").one().n;
  }
  count() {
    return this.ctx.storage.sql.exec("SELECT n FROM hits WHERE id = 1").toArray()[0]?.n ?? 0;
  }
}
export default {
  async fetch(request, env) {
    const m = /^\\/(hit|count)\\/([a-z0-9]+)$/.exec(new URL(request.url).pathname);
    if (!m) return new Response("no such route", { status: 404 });
    const object = env.OBJECTS.get(m[2]);
    const count = m[1] === "hit" ? await object.hit() : await object.count();
    return Response.json({ app: env.APP_NAME, object: m[2], count });
  },
};`;

const QUIET_SOURCE = `export default { fetch() { return new Response("ok"); } };`;
const CHATTY_SOURCE = `let n = 0;
export default { fetch() { console.log("hit " + ++n); return new Response("ok"); } };`;
/** The plain Workers of part 3's reference (no host), on their own sockets. */
const BARE_WORKERS = { quiet: QUIET_SOURCE, chatty: CHATTY_SOURCE };

function jsApp(source, extra = {}) {
  return {
    mainModule: "index.js",
    modules: { "index.js": { type: "js", content: source } },
    compatibilityDate: COMPATIBILITY_DATE,
    ...extra,
  };
}

// ---------------------------------------------------------------- helpers

const state = { mf: null, instances: new Set(), timers: new Set(), shuttingDown: false };

/**
 * workerd's stdout and stderr. Miniflare would print every line through this
 * process (the chatty app's console lines, thousands a second), which costs
 * far more than the host's log capture being measured: stdout lines are
 * counted and dropped, stderr lines counted and grouped by kind.
 */
const stdio = { stdoutLines: 0, stderrLines: 0, stderrKinds: new Map(), stderrRest: "" };
function handleRuntimeStdio(stdout, stderr) {
  stdout.on("data", (chunk) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) stdio.stdoutLines++;
  });
  // stderr is rare: kept by kind (stack addresses and ids stripped), with a count each.
  stderr.on("data", (chunk) => {
    const lines = (stdio.stderrRest + chunk.toString()).split("\n");
    stdio.stderrRest = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      stdio.stderrLines++;
      if (line.startsWith("stack:")) continue;
      const kind = line.replace(/\b[0-9a-f]{16,}\b/g, "…").slice(0, 600);
      if (stdio.stderrKinds.size < 20 || stdio.stderrKinds.has(kind)) stdio.stderrKinds.set(kind, (stdio.stderrKinds.get(kind) ?? 0) + 1);
    }
  });
}
function stdioSummary() {
  const s = `workerd output: ${stdio.stdoutLines} stdout lines (apps' console output, dropped), ${stdio.stderrLines} stderr lines`;
  if (!stdio.stderrKinds.size) return s;
  return `${s}, by kind (stack lines not shown):\n${[...stdio.stderrKinds].map(([k, n]) => `   ${n}× ${k}`).join("\n")}`;
}

function sleep(ms) {
  return new Promise((resolve) => {
    const t = setTimeout(() => {
      state.timers.delete(t);
      resolve();
    }, Math.max(0, ms));
    state.timers.add(t);
  });
}

/** Stops every load run and timer, then workerd. Safe to call more than once. */
async function shutdown() {
  if (state.shuttingDown) return;
  state.shuttingDown = true;
  for (const i of state.instances) i.stop();
  for (const t of state.timers) clearTimeout(t);
  const mf = state.mf;
  state.mf = null;
  if (mf) await mf.dispose().catch((e) => console.error("dispose failed:", e));
}

/** An autocannon run, registered so shutdown() can stop it. */
function cannon(opts, onResponse) {
  const instance = autocannon({ sampleInt: 100, ...opts });
  state.instances.add(instance);
  if (onResponse) instance.on("response", onResponse);
  const reqErrors = [];
  instance.on("reqError", (e) => {
    if (reqErrors.length < 5) reqErrors.push(e?.message ?? String(e));
  });
  const done = instance.then(
    (r) => {
      state.instances.delete(instance);
      return { ...r, reqErrorSamples: reqErrors };
    },
    (e) => {
      state.instances.delete(instance);
      throw e;
    },
  );
  return { instance, done };
}

async function pool(items, concurrency, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
function percentiles(values, ps) {
  const s = Float64Array.from(values).sort();
  return ps.map((p) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN));
}
const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
const load1 = () => loadavg()[0].toFixed(2);
const clock = (ms) => new Date(ms).toISOString().slice(11, 23);

async function getText(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}

// ---------------------------------------------------------------- part 1: load

async function partLoad({ base, control, pids }) {
  const half = Math.floor(LOAD.apps / 2);
  const stateless = Array.from({ length: LOAD.apps - half }, (_, i) => `st-${String(i).padStart(3, "0")}`);
  const counters = Array.from({ length: half }, (_, i) => `do-${String(i).padStart(3, "0")}`);
  const objects = Array.from({ length: LOAD.objectsPerApp }, (_, i) => `o${i}`);
  console.log("");
  console.log(`1. load: ${LOAD.apps} apps (${stateless.length} stateless, ${counters.length} with a SQLite counter object, ${objects.length} object names each), ` +
    `${LOAD.connections} connections, ${LOAD.seconds} s; load average ${load1()}`);

  const rssEmpty = workerdStats(pids)?.rssMiB;
  const t0 = performance.now();
  const all = [...stateless.map((name) => ({ name, kind: "st" })), ...counters.map((name) => ({ name, kind: "do" }))];
  await pool(all, LOAD.deployConcurrency, ({ name, kind }) =>
    control.rollOut(
      name,
      jsApp(kind === "st" ? STATELESS_SOURCE : COUNTER_SOURCE, { env: { APP_NAME: name }, ...(kind === "do" ? { durableObject: "Counter" } : {}) }),
      { quota: HIGH_QUOTA },
    ),
  );
  const deployS = (performance.now() - t0) / 1000;

  // First touch: every app once, every object once (so each counter starts at 1).
  const t1 = performance.now();
  const touches = [...stateless.map((a) => `/apps/${a}/touch`), ...counters.flatMap((a) => objects.map((o) => `/apps/${a}/hit/${o}`))];
  await pool(touches, 8, async (path) => {
    const r = await getText(new URL(path, base));
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 200)}`);
  });
  const touchS = (performance.now() - t1) / 1000;
  const rssStart = workerdStats(pids)?.rssMiB;
  console.log(`   deployed ${all.length} apps through the control API in ${fmt(deployS, 1)} s; first touch of ${touches.length} paths in ${fmt(touchS, 1)} s`);

  // The run: each request picks an app uniformly, a counter app also one of its object names.
  const latencies = { st: [], do: [] };
  const statuses = new Map();
  const badSamples = [];
  /** When errors happened: seconds into the run, and the UTC time (rate windows turn at :00). */
  const errorAt = [];
  const since = (t) => `${fmt((t - runStart) / 1000, 1)} s (${clock(t).slice(0, 10)})`;
  const at = () => `${fmt((Date.now() - runStart) / 1000, 1)} s (${clock(Date.now()).slice(0, 10)})`;
  let mismatches = 0;
  const ok = { st: 0, do: 0 };
  const request = {
    setupRequest(req, ctx) {
      const i = Math.floor(Math.random() * all.length);
      const app = all[i];
      ctx.kind = app.kind;
      ctx.app = app.name;
      if (app.kind === "st") {
        req.path = `/apps/${app.name}/items/${Math.floor(Math.random() * 1000)}`;
        ctx.expect = `{"app":"${app.name}","path":"/items/`;
      } else {
        const o = objects[Math.floor(Math.random() * objects.length)];
        req.path = `/apps/${app.name}/hit/${o}`;
        ctx.expect = `{"app":"${app.name}","object":"${o}","count":`;
      }
      return req;
    },
    onResponse(status, body, ctx) {
      if (status >= 200 && status < 300 && !body.startsWith(ctx.expect)) {
        mismatches++;
        if (badSamples.length < 5) badSamples.push(`${ctx.app}: ${status} ${body.slice(0, 160)}`);
      } else if (status < 200 || status >= 300) {
        errorAt.push(`${at()} ${status}`);
        if (badSamples.length < 5) badSamples.push(`${ctx.app}: ${status} ${body.slice(0, 160)}`);
      }
    },
  };
  const before = workerdStats(pids);
  const rssTrace = [];
  const runStart = Date.now();
  /**
   * Stalls: stretches of at least STALL_MS with no response at all (32 connections at hundreds of
   * req/s never go that long). workerd's HTTP server (kj) closes a kept-alive connection whose next
   * request it has not read within 5 s (its pipelineTimeout), so an event-loop stall over 5 s ends in
   * a burst of ECONNRESET, with nothing in workerd's log.
   */
  const STALL_MS = 1000;
  const stalls = [];
  let lastResponse = runStart;
  let longest = { ms: 0, at: 0, what: "" };
  /** Responses slower than 1 s, by kind of request: a slow kind points at its path in the host. */
  const slow = { st: 0, do: 0 };
  const sawResponse = (ms, ctx) => {
    const now = Date.now();
    if (now - lastResponse >= STALL_MS) stalls.push([lastResponse, now - lastResponse]);
    lastResponse = now;
    if (ms > longest.ms) longest = { ms, at: now, what: `${ctx?.kind === "do" ? "object" : "stateless"} request to ${ctx?.app}` };
    if (ms >= 1000 && ctx?.kind in slow) slow[ctx.kind]++;
  };
  const sampler = setInterval(() => rssTrace.push([Math.round((Date.now() - runStart) / 1000), workerdStats(pids)?.rssMiB]), Math.max(1000, (LOAD.seconds * 1000) / 6));
  state.timers.add(sampler);
  const { instance, done } = cannon(
    { url: base.origin, connections: LOAD.connections, duration: LOAD.seconds, requests: [request] },
    (client, status, _bytes, ms) => {
      statuses.set(status, (statuses.get(status) ?? 0) + 1);
      sawResponse(ms, client.requestIterator.context);
      if (status >= 200 && status < 300) {
        const kind = client.requestIterator.context.kind;
        latencies[kind].push(ms);
        ok[kind]++;
      }
    },
  );
  instance.on("reqError", (e) => errorAt.push(`${at()} ${e?.code ?? e?.message ?? "error"}`));
  const r = await done.finally(() => clearInterval(sampler));
  const after = workerdStats(pids);
  const rssEnd = after?.rssMiB;

  // Every hit the clients saw must be in a counter (plus the first touch, plus at most one request in flight per connection at stop).
  let counted = 0;
  await pool(counters.flatMap((a) => objects.map((o) => [a, o])), 8, async ([a, o]) => {
    const res = await getText(new URL(`/apps/${a}/count/${o}`, base));
    if (res.status !== 200) throw new Error(`GET /apps/${a}/count/${o}: ${res.status} ${res.body.slice(0, 200)}`);
    counted += JSON.parse(res.body).count;
  });
  const touchedObjects = counters.length * objects.length;
  // What the host recorded as app errors (a failed entrypoint call), over all apps.
  const appErrors = (await pool(all, 8, async ({ name }) => (await control.usage(name)).usage.errors)).reduce((a, b) => a + b, 0);
  const extra = counted - touchedObjects - ok.do;

  const total = ok.st + ok.do;
  const non2xx = [...statuses].filter(([s]) => s < 200 || s >= 300).reduce((a, [, n]) => a + n, 0);
  const errors = non2xx + r.errors + mismatches;
  const [p50, p99] = percentiles([...latencies.st, ...latencies.do], [50, 99]);
  const [stP50, stP99] = percentiles(latencies.st, [50, 99]);
  const [doP50, doP99] = percentiles(latencies.do, [50, 99]);
  const cpuS = before && after ? (after.cpuMs - before.cpuMs) / 1000 : NaN;
  console.log(`   ${pad("", 12)}${lpad("2xx", 9)}${lpad("req/s", 9)}${lpad("p50 ms", 9)}${lpad("p99 ms", 9)}`);
  const row = (label, n, a, b) => console.log(`   ${pad(label, 12)}${lpad(n, 9)}${lpad(fmt(n / r.duration, 0), 9)}${lpad(fmt(a), 9)}${lpad(fmt(b), 9)}`);
  row("all", total, p50, p99);
  row("stateless", ok.st, stP50, stP99);
  row("object", ok.do, doP50, doP99);
  console.log(`   over ${fmt(r.duration, 1)} s; workerd CPU ${fmt(cpuS, 1)} s (${fmt((cpuS / r.duration) * 100, 0)}% of one core); load average ${load1()}`);
  console.log(
    `   errors: ${errors}  (non-2xx ${non2xx}, socket errors ${r.errors} of which timeouts ${r.timeouts}, wrong bodies ${mismatches})  ` +
      `${errors === 0 ? "PASS" : "MISS"} (target 0)`,
  );
  if (non2xx) console.log(`   status codes: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(", ")}`);
  for (const s of [...badSamples, ...r.reqErrorSamples]) console.log(`     e.g. ${s}`);
  console.log(
    `   longest response ${fmt(longest.ms, 0)} ms (${longest.what}, ended ${since(longest.at)}); responses over 1 s: ${slow.st} stateless, ${slow.do} object; stalls (no response at all for ≥ ${STALL_MS / 1000} s): ` +
      (stalls.length ? stalls.map(([t, d]) => `${fmt(d / 1000, 1)} s from ${since(t)}`).join(", ") : "none"),
  );
  if (errorAt.length) console.log(`   errors at: ${errorAt.slice(0, 20).join(", ")}${errorAt.length > 20 ? ", …" : ""}`);
  console.log(
    `   object hits counted by the objects: ${counted} = ${touchedObjects} first touches + ${ok.do} seen by clients ${extra >= 0 ? "+" : "−"} ${Math.abs(extra)} ` +
      `(${extra >= 0 && extra <= LOAD.connections ? `in flight at stop; ≤ ${LOAD.connections} expected` : "UNEXPECTED: hits lost or double-counted"})`,
  );
  console.log(`   app errors the host recorded (usage.errors, all apps): ${appErrors}`);
  console.log(`   workerd RSS: ${fmt(rssEmpty, 0)} MiB empty, ${fmt(rssStart, 0)} MiB at start (apps deployed and touched), ${fmt(rssEnd, 0)} MiB at end`);
  console.log(`   RSS during the run (s: MiB): ${rssTrace.map(([t, m]) => `${t}: ${fmt(m, 0)}`).join(", ")}`);
}

// ---------------------------------------------------------------- part 2: requestsPerMinute

async function partRate({ base, control }) {
  const L = RATE.limit;
  const app = "limited";
  console.log("");
  console.log(`2. requestsPerMinute = ${L}: ${RATE.connections} connections flood one app through one fixed minute window; load average ${load1()}`);
  await control.rollOut(app, jsApp(QUIET_SOURCE), { quota: { requestsPerMinute: L } });

  // The limiter's windows are floor(Date.now() / 60 000). Start just after a boundary.
  let boundary = (Math.floor(Date.now() / 60_000) + 1) * 60_000;
  if (boundary - Date.now() < 1_000) boundary += 60_000;
  const window = boundary / 60_000;
  const startAt = boundary + RATE_START_OFFSET_MS;
  const stopAt = startAt + RATE.seconds * 1000;
  console.log(`   waiting ${fmt((startAt - Date.now()) / 1000, 1)} s for the minute boundary at ${clock(boundary)} UTC`);
  await sleep(startAt - Date.now());

  const okAt = [];
  const statuses = new Map();
  let first429 = null;
  const url = new URL(`/apps/${app}/`, base).href;
  const { instance, done } = cannon({ url, connections: RATE.connections, duration: 3600 }, (_client, status) => {
    const now = Date.now();
    statuses.set(status, (statuses.get(status) ?? 0) + 1);
    if (status === 200) okAt.push(now);
    else if (status === 429 && first429 === null) first429 = now;
  });
  const started = Date.now();
  const stopper = setTimeout(() => instance.stop(), stopAt - Date.now());
  state.timers.add(stopper);
  const r = await done;
  clearTimeout(stopper);
  const ended = Date.now();

  const perWindow = new Map();
  for (const t of okAt) perWindow.set(Math.floor(t / 60_000), (perWindow.get(Math.floor(t / 60_000)) ?? 0) + 1);
  const admitted = perWindow.get(window) ?? 0;
  const outside = okAt.length - admitted;
  const other = [...statuses].filter(([s]) => s !== 200 && s !== 429).reduce((a, [, n]) => a + n, 0);
  const errPct = ((admitted - L) / L) * 100;

  // Cross-check with the host's own count: one request in the next window makes the
  // isolate report the measured window's use to AppControl (with its next lease).
  await sleep((window + 1) * 60_000 + 200 - Date.now());
  const probe = await getText(url);
  const { usage } = await control.usage(app);

  console.log(
    `   measured window ${clock(boundary)}–${clock(boundary + 60_000)} UTC: requests sent from +${fmt((started - boundary) / 1000, 2)} s to +${fmt((ended - boundary) / 1000, 2)} s ` +
      `(${fmt((ended - started) / 1000, 1)} s), none to this app at any other time of that window`,
  );
  console.log(
    `   responses: ${[...statuses].sort(([a], [b]) => a - b).map(([s, n]) => `${s}×${n}`).join(", ")}; socket errors ${r.errors}; ` +
      `first 429 at +${first429 === null ? "never" : fmt((first429 - boundary) / 1000, 2) + " s"}`,
  );
  console.log(
    `   admitted (200s) in the window: ${admitted}   limit L: ${L}   error: ${errPct >= 0 ? "+" : ""}${fmt(errPct, 2)}%  ` +
      `${Math.abs(errPct) <= TARGETS.rateErrorPct && first429 !== null ? "PASS" : "MISS"} (target ±${TARGETS.rateErrorPct}%)`,
  );
  if (first429 === null) console.log("   the limit was never reached: the run did not test the limiter (raise RATE_CONNECTIONS or lower RATE_LIMIT)");
  if (outside) console.log(`   ${outside} 200s arrived outside the measured window (alignment problem)`);
  if (other) console.log(`   ${other} responses other than 200 and 429`);
  console.log(
    `   host's usage for that window (lastMinute, read after a probe ${probe.status} in the next one): ${usage.requests.lastMinute} ` +
      `${usage.requests.lastMinute === admitted ? "(= admitted)" : `(differs from the ${admitted} admitted the clients saw)`}`,
  );
}

// ---------------------------------------------------------------- part 3: log capture

async function partLogs({ base, bare, control, pids }) {
  console.log("");
  console.log(
    `3. log capture: the same trivial app with and without one console.log per request, ${LOG.rounds} rounds, ` +
      `${LOG.connections} connections, ${LOG.warmupSeconds} s warm-up + ${LOG.seconds} s each, order rotated per round; load average ${load1()}`,
  );
  console.log(
    "   host: apps quiet and chatty through the host (both keep logs: the capture runs for both), plain (the quiet app without logs) " +
      "and chatty-nolog (the chatty app without logs: it prints its lines, nothing captures them); bare: the same two Workers on workerd alone (no host), for reference",
  );
  // quiet and chatty keep logs (the capture runs for both; only chatty writes any); plain and chatty-nolog do not.
  await control.rollOut("quiet", jsApp(QUIET_SOURCE), { quota: HIGH_QUOTA, logs: true });
  await control.rollOut("plain", jsApp(QUIET_SOURCE), { quota: HIGH_QUOTA });
  await control.rollOut("chatty", jsApp(CHATTY_SOURCE), { quota: HIGH_QUOTA, logs: true });
  await control.rollOut("chatty-nolog", jsApp(CHATTY_SOURCE), { quota: HIGH_QUOTA });
  // Rotated per round; chatty and chatty-nolog are three apart, so each goes first in half the rounds.
  const targets = [
    { name: "plain", url: new URL("/apps/plain/", base).href },
    { name: "chatty-nolog", url: new URL("/apps/chatty-nolog/", base).href },
    { name: "quiet", url: new URL("/apps/quiet/", base).href },
    { name: "bare-quiet", url: new URL("/", bare.quiet).href },
    { name: "chatty", url: new URL("/apps/chatty/", base).href },
    { name: "bare-chatty", url: new URL("/", bare.chatty).href },
  ];
  const served = Object.fromEntries(targets.map((t) => [t.name, 0]));
  for (const t of targets) {
    const r = await getText(t.url);
    if (r.status !== 200 || r.body !== "ok") throw new Error(`GET ${t.url}: ${r.status} ${r.body.slice(0, 200)}`);
    served[t.name]++;
  }

  const runs = Object.fromEntries(targets.map((t) => [t.name, []]));
  const failures = [];
  const failureSamples = new Set();
  let chattyEnded = 0;
  const one = async (t, seconds, measure) => {
    const latencies = [];
    const before = workerdStats(pids);
    const samples = [];
    const u = new URL(t.url);
    const request = {
      path: u.pathname,
      onResponse(status, body) {
        if (status !== 200 && samples.length < 3) samples.push(`${status} ${body.slice(0, 160)}`);
      },
    };
    const { done } = cannon({ url: u.origin, connections: LOG.connections, duration: seconds, requests: [request] }, (_c, status, _b, ms) => {
      if (status === 200) latencies.push(ms);
    });
    const r = await done;
    const after = workerdStats(pids);
    served[t.name] += latencies.length;
    if (r.errors || r.non2xx) {
      const what = `${t.name} (${measure ? "measured" : "warm-up"}): ${r.non2xx} non-2xx, ${r.errors} socket errors (${r.timeouts} timeouts)`;
      failures.push(what);
      for (const x of [...samples, ...r.reqErrorSamples]) failureSamples.add(x);
      console.log(`   ${what}`);
    }
    if (!measure) return;
    const [p50, p99] = percentiles(latencies, [50, 99]);
    const result = {
      requests: latencies.length,
      rps: latencies.length / r.duration,
      p50,
      p99,
      cpuUs: before && after ? ((after.cpuMs - before.cpuMs) * 1000) / latencies.length : NaN,
    };
    runs[t.name].push(result);
    return result;
  };
  for (let round = 0; round < LOG.rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + round) % targets.length];
      await one(t, LOG.warmupSeconds, false);
      const r = await one(t, LOG.seconds, true);
      if (t.name === "chatty") chattyEnded = Date.now();
      console.log(
        `   round ${round + 1} ${pad(t.name, 12)} ${lpad(r.requests, 7)} req ${lpad(fmt(r.rps, 0), 6)} req/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  ` +
          `workerd ${fmt(r.cpuUs, 0)} µs CPU/req`,
      );
      await sleep(1200); // the app's hand-over and the host's batch (500 ms each) land before the next run
    }
  }
  const ratio = (a, b, key) => {
    const xs = runs[a].map((c, i) => c[key] / runs[b][i][key]);
    return { value: median(xs), range: `[${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]` };
  };
  const med = (name, key) => median(runs[name].map((r) => r[key]));
  console.log(`   ${pad("", 13)}${lpad("req/s", 8)}${lpad("p50 ms", 9)}${lpad("p99 ms", 9)}${lpad("CPU µs/req", 12)}   (medians of rounds)`);
  for (const { name } of targets) {
    console.log(`   ${pad(name, 13)}${lpad(fmt(med(name, "rps"), 0), 8)}${lpad(fmt(med(name, "p50")), 9)}${lpad(fmt(med(name, "p99")), 9)}${lpad(fmt(med(name, "cpuUs"), 0), 12)}`);
  }
  console.log(`   ${pad("ratio (median of per-round ratios)", 42)}${pad("[min–max]", 14)}`);
  const line = (label, r, target, higherIsBetter) =>
    console.log(
      `   ${pad(label, 42)}${pad(r.range, 14)}${fmt(r.value, 3)}  ` +
        (target === undefined ? "(reference)" : `${(higherIsBetter ? r.value >= target : r.value <= target) ? "PASS" : "MISS"} (target ${higherIsBetter ? "≥" : "≤"} ${target})`),
    );
  // What capturing costs: the same logging app with and without it (both print every line to workerd's stdout).
  line("host chatty/chatty-nolog req/s", ratio("chatty", "chatty-nolog", "rps"), TARGETS.logRps, true);
  line("host chatty/chatty-nolog p50", ratio("chatty", "chatty-nolog", "p50"), TARGETS.logP50, false);
  line("host chatty/chatty-nolog workerd CPU/req", ratio("chatty", "chatty-nolog", "cpuUs"));
  // Capture plus console.log's own cost in local workerd (which the bare pair shows alone).
  line("host chatty/quiet req/s", ratio("chatty", "quiet", "rps"));
  line("host chatty/quiet p50", ratio("chatty", "quiet", "p50"));
  line("host chatty/quiet workerd CPU/req", ratio("chatty", "quiet", "cpuUs"));
  // What keeping logs costs at all: the same app with and without it.
  line("host quiet/plain req/s", ratio("quiet", "plain", "rps"));
  line("host quiet/plain workerd CPU/req", ratio("quiet", "plain", "cpuUs"));
  line("host chatty/plain req/s", ratio("chatty", "plain", "rps"));
  line("host chatty/plain workerd CPU/req", ratio("chatty", "plain", "cpuUs"));
  line("bare chatty/quiet req/s", ratio("bare-chatty", "bare-quiet", "rps"));
  line("bare chatty/quiet p50", ratio("bare-chatty", "bare-quiet", "p50"));
  line("bare chatty/quiet workerd CPU/req", ratio("bare-chatty", "bare-quiet", "cpuUs"));

  await sleep(1500 - (Date.now() - chattyEnded));
  const { logs } = await control.logs("chatty");
  const { logs: quietLogs } = await control.logs("quiet");
  const hits = logs.filter((l) => /^hit \d+$/.test(l.message));
  const others = logs.filter((l) => !/^hit \d+$/.test(l.message));
  const seqs = hits.map((l) => Number(l.message.slice(4)));
  const newestHit = hits[0];
  const ageS = newestHit ? (chattyEnded - Date.parse(newestHit.at)) / 1000 : NaN;
  const maxSeq = seqs.length ? Math.max(...seqs) : NaN;
  const minSeq = seqs.length ? Math.min(...seqs) : NaN;
  const distinct = new Set(seqs).size;
  const contiguous = maxSeq - minSeq + 1 === distinct && distinct === hits.length;
  const kinds = (lines) => {
    const m = new Map();
    for (const l of lines) m.set(`${l.level}: ${l.message.slice(0, 80)}`, (m.get(`${l.level}: ${l.message.slice(0, 80)}`) ?? 0) + 1);
    return [...m].map(([k, n]) => `${n}× "${k}"`).join(", ");
  };
  console.log(
    `   logs of chatty: ${logs.length} lines stored (keeps the newest 200) ${logs.length === 200 ? "full" : "NOT FULL"}; ` +
      `newest console line "${newestHit?.message ?? "-"}" at ${newestHit ? clock(Date.parse(newestHit.at)) : "-"}, ` +
      `${fmt(Math.abs(ageS), 2)} s ${ageS >= 0 ? "before" : "after"} the last chatty run ended`,
  );
  console.log(
    `   the app logged ${served.chatty} requests its clients saw answered (+ up to ${LOG.connections} in flight at each of ${LOG.rounds * 2} stops); ` +
      `the ${hits.length} console lines stored are hits ${minSeq}…${maxSeq}, ${contiguous ? "contiguous (none lost)" : `${distinct} distinct, NOT contiguous`}`,
  );
  if (others.length) console.log(`   other lines among chatty's: ${kinds(others)}`);
  console.log(`   logs of quiet: ${quietLogs.length} lines${quietLogs.length ? `: ${kinds(quietLogs)}` : ""}`);
  const [uq, uc] = await Promise.all([control.usage("quiet"), control.usage("chatty")]);
  console.log(`   app errors the host recorded (usage.errors): quiet ${uq.usage.errors}, chatty ${uc.usage.errors}`);
  const errs = failures.length;
  console.log(`   runs with errors: ${errs} ${errs === 0 ? "PASS" : "MISS"} (target 0)`);
  for (const x of [...failureSamples].slice(0, 6)) console.log(`     e.g. ${x}`);
}

// ---------------------------------------------------------------- main

async function main() {
  const { ControlClient } = await dist("control-client/client.js");
  const { options: host, bundle, compatibilityDate: HOST_COMPATIBILITY_DATE } = await hostWorker();
  state.mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    durableObjectsPersist: false,
    // LOAD_VERBOSE=1: workerd --verbose, so it says why it drops a request or connection (grouped below with its other stderr).
    verbose: process.env.LOAD_VERBOSE === "1",
    handleRuntimeStdio,
    workers: [
      host,
      ...Object.entries(BARE_WORKERS).map(([name, script]) => ({
        name: `bare-${name}`,
        modules: true,
        script,
        compatibilityDate: HOST_COMPATIBILITY_DATE,
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      })),
    ],
  });
  await state.mf.ready;
  const base = await state.mf.unsafeGetDirectURL("host");
  const control = new ControlClient({ url: base.href, token: TOKEN, retries: 2 });
  const pids = workerdPids();
  console.log(
    `host bundle ${bundle.sha256.slice(0, 12)}… on ${base.host}; workerd pid ${pids.join(", ") || "not found"}; ` +
      `parts ${[...PARTS].join(",")}; load average ${load1()}`,
  );
  const bare = { quiet: await state.mf.unsafeGetDirectURL("bare-quiet"), chatty: await state.mf.unsafeGetDirectURL("bare-chatty") };
  const ctx = { base, bare, control, pids };
  if (PARTS.has("1")) await partLoad(ctx);
  if (PARTS.has("2")) await partRate(ctx);
  if (PARTS.has("3")) await partLogs(ctx);
  if (pids.length && !workerdStats(pids)) console.log(`\nworkerd (pid ${pids.join(", ")}) is no longer running: it exited during the run`);
}

// Bounded: the parts' own durations plus generous slack; then everything is stopped.
const budgetS = LOAD.seconds + 120 + RATE.seconds + LOG.rounds * 5 * (LOG.seconds + LOG.warmupSeconds + 1) + 300;
const watchdog = setTimeout(() => {
  console.error(`load bench: over its ${budgetS} s budget; stopping`);
  shutdown().finally(() => process.exit(1));
}, budgetS * 1000);
watchdog.unref();
for (const [signal, code] of [["SIGINT", 130], ["SIGTERM", 143]]) {
  process.once(signal, () => {
    console.error(`load bench: ${signal}; stopping`);
    shutdown().finally(() => process.exit(code));
  });
}

main()
  .catch((e) => {
    console.error(e);
    process.exitCode = 1;
  })
  .finally(async () => {
    console.log("");
    console.log(stdioSummary());
    await shutdown();
    clearTimeout(watchdog);
  });
