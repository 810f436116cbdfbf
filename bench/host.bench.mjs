// npm run bench:host — the host's overhead on real workerd, on the built dist/.
//
// Starts workerd once (one Miniflare, three Workers, each on its own direct
// 127.0.0.1 socket) and measures, in the same run:
//   host        dist/host.js serving a trivial app at /apps/trivial/
//   dispatcher  a minimal hand-written dispatcher: LOADER.get(id, …).getEntrypoint().fetch(request)
//   static      a plain Worker answering "ok"
// Warm: autocannon runs against each target in turn, BENCH_ROUNDS rounds;
// figures are medians of rounds, ratios medians of per-round ratios.
// Cold: the first request to a never-loaded version, host vs dispatcher.
// Knobs: BENCH_ROUNDS (5), BENCH_SECONDS (3), BENCH_CONNECTIONS (16),
// BENCH_COLD (30 samples), BENCH_PLATFORM_CONFIG (the host's JSON config).
// A missed target is reported, never fatal; only errors exit non-zero.
import autocannon from "autocannon";
import { Miniflare } from "miniflare";
import { TOKEN, dist, hostWorker } from "./lib/host-worker.mjs";
import { workerdPids, workerdStats } from "./lib/workerd-proc.mjs";

const WARM = {
  rounds: Number(process.env.BENCH_ROUNDS ?? 5),
  connections: Number(process.env.BENCH_CONNECTIONS ?? 16),
  seconds: Number(process.env.BENCH_SECONDS ?? 3),
  warmupSeconds: 1,
  minRequests: 2000,
};
const COLD_SAMPLES = Number(process.env.BENCH_COLD ?? 30);
const TARGETS = { throughput: 0.85, p50: 1.15, cold: 1.5 };
const APP_COMPATIBILITY_DATE = "2026-07-01";
const TRIVIAL_SOURCE = `export default { fetch() { return new Response("ok"); } };`;

/** The minimal dispatcher: no registry, code inline; /cold/<n> loads a never-seen id. */
function dispatcherSource() {
  return `
const TRIVIAL = ${JSON.stringify(TRIVIAL_SOURCE)};
export default {
  fetch(request, env) {
    const m = /^\\/cold\\/(\\d+)$/.exec(new URL(request.url).pathname);
    const id = m ? "cold@" + m[1] : "trivial@1";
    const source = m ? TRIVIAL + "\\n// cold " + m[1] : TRIVIAL;
    return env.LOADER.get(id, () => ({
      compatibilityDate: ${JSON.stringify(APP_COMPATIBILITY_DATE)},
      mainModule: "index.js",
      modules: { "index.js": source },
      globalOutbound: null,
    })).getEntrypoint().fetch(request);
  },
};`;
}

const STATIC_SOURCE = `export default { fetch() { return new Response("ok"); } };`;

function jsApp(source) {
  return {
    mainModule: "index.js",
    modules: { "index.js": { type: "js", content: source } },
    compatibilityDate: APP_COMPATIBILITY_DATE,
  };
}

const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
const percentile = (sorted, p) =>
  sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))];

/**
 * One autocannon run (after its own warm-up). Latencies are kept at full
 * resolution: autocannon's histogram rounds them to whole milliseconds.
 * cpuUs: workerd CPU time per request over the run and its warm-up.
 */
async function loadRun(url, pids) {
  const latencies = [];
  const before = workerdStats(pids);
  const instance = autocannon({
    url,
    connections: WARM.connections,
    duration: WARM.seconds,
    warmup: { connections: WARM.connections, duration: WARM.warmupSeconds },
  });
  instance.on("response", (_client, statusCode, _bytes, ms) => {
    if (statusCode === 200) latencies.push(ms);
  });
  const r = await instance;
  const after = workerdStats(pids);
  if (r.errors || r.timeouts || r.non2xx) {
    throw new Error(`${url}: ${r.errors} errors, ${r.timeouts} timeouts, ${r.non2xx} non-2xx responses`);
  }
  latencies.sort((a, b) => a - b);
  const all = r.requests.total + (r.warmup?.requests.total ?? 0);
  return {
    requests: r.requests.total,
    rps: r.requests.total / (r.duration || WARM.seconds),
    p50: percentile(latencies, 50),
    p99: percentile(latencies, 99),
    cpuUs: before && after ? ((after.cpuMs - before.cpuMs) * 1000) / all : NaN,
    rssMiB: after?.rssMiB ?? NaN,
  };
}

async function timedGet(url) {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.text();
  const ms = performance.now() - t0;
  if (res.status !== 200 || body !== "ok") throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 200)}`);
  return ms;
}

const fmt = (n, d = 2) => n.toFixed(d);
const pad = (s, n) => String(s).padEnd(n);
const lpad = (s, n) => String(s).padStart(n);
function verdict(ratio, target, higherIsBetter) {
  const ok = higherIsBetter ? ratio >= target : ratio <= target;
  return `${fmt(ratio)}  (target ${higherIsBetter ? "≥" : "≤"} ${target})  ${ok ? "PASS" : "MISS"}`;
}

/** One workerd with three Workers, each on its own direct 127.0.0.1 socket: the host, the dispatcher and the static Worker. */
function startWorkers(host, HOST_COMPATIBILITY_DATE) {
  const direct = [{ host: "127.0.0.1", port: 0 }];
  return new Miniflare({
    host: "127.0.0.1",
    port: 0,
    durableObjectsPersist: false,
    workers: [
      host,
      {
        name: "dispatcher",
        modules: true,
        script: dispatcherSource(),
        compatibilityDate: HOST_COMPATIBILITY_DATE,
        workerLoaders: { LOADER: {} },
        unsafeDirectSockets: direct,
      },
      {
        name: "static",
        modules: true,
        script: STATIC_SOURCE,
        compatibilityDate: HOST_COMPATIBILITY_DATE,
        unsafeDirectSockets: direct,
      },
    ],
  });
}

/** Deploys the trivial app; every target answers once. */
async function setupTargets(control, urls, bundle) {
  // The load here is far above the default requestsPerMinute: lift it, so no 429 is measured.
  await control.rollOut("trivial", jsApp(TRIVIAL_SOURCE), { quota: { requestsPerMinute: 100_000_000 } });

  const targets = [
    { name: "host", url: new URL("/apps/trivial/", urls.host).href },
    { name: "dispatcher", url: new URL("/", urls.dispatcher).href },
    { name: "static", url: new URL("/", urls.static).href },
  ];
  for (const t of targets) await timedGet(t.url);
  console.log(
    `host bundle ${bundle.sha256.slice(0, 12)}…; host ${urls.host.host}, dispatcher ${urls.dispatcher.host}, static ${urls.static.host}`,
  );
  console.log(
    `warm: ${WARM.rounds} rounds × ${targets.length} targets, ${WARM.connections} connections, ` +
      `${WARM.warmupSeconds} s warm-up + ${WARM.seconds} s each, median of rounds`,
  );
  return targets;
}

/** Every round's run of every target, by target name. */
async function warmPhase(targets, pids) {
  // Warm: rotate the order each round so no target always follows the same one.
  const runs = Object.fromEntries(targets.map((t) => [t.name, []]));
  for (let round = 0; round < WARM.rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + round) % targets.length];
      const r = await loadRun(t.url, pids);
      runs[t.name].push(r);
      console.log(
        `  round ${round + 1} ${pad(t.name, 10)} ${lpad(r.requests, 7)} req ${lpad(fmt(r.rps, 0), 6)} req/s  ` +
          `p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  workerd ${fmt(r.cpuUs, 0)} µs CPU/req, RSS ${fmt(r.rssMiB, 0)} MiB`,
      );
    }
  }
  return runs;
}

/** Per target: all requests, and the medians of rounds; warns when a target had too few requests. */
function warmFigures(runs) {
  const warm = Object.fromEntries(
    Object.entries(runs).map(([name, rs]) => [
      name,
      {
        requests: rs.reduce((a, r) => a + r.requests, 0),
        rps: median(rs.map((r) => r.rps)),
        p50: median(rs.map((r) => r.p50)),
        p99: median(rs.map((r) => r.p99)),
        cpuUs: median(rs.map((r) => r.cpuUs)),
      },
    ]),
  );
  for (const [name, w] of Object.entries(warm)) {
    if (w.requests < WARM.minRequests)
      console.warn(`warning: only ${w.requests} warm requests to ${name} (fewer than ${WARM.minRequests})`);
  }
  return warm;
}

async function coldPhase(control, urls) {
  // Cold: every sample is a never-loaded id. Host: a new app per sample (a
  // version-cache miss too), and a new version of one existing app.
  // Dispatcher: /cold/<n>. Interleaved; two unrecorded samples first.
  const cold = { hostNewApp: [], hostNewVersion: [], dispatcher: [] };
  const variant = (i) => `${TRIVIAL_SOURCE}\n// cold ${i}`;
  await control.rollOut("cold", jsApp(variant("initial")));
  await timedGet(new URL("/apps/cold/", urls.host).href);
  for (let i = -2; i < COLD_SAMPLES; i++) {
    const keep = i >= 0;
    await control.rollOut(`cold-${i + 2}`, jsApp(variant(i)));
    const a = await timedGet(new URL(`/apps/cold-${i + 2}/`, urls.host).href);
    await control.rollOut("cold", jsApp(variant(i)));
    const b = await timedGet(new URL("/apps/cold/", urls.host).href);
    const c = await timedGet(new URL(`/cold/${i + 2}`, urls.dispatcher).href);
    if (keep) {
      cold.hostNewApp.push(a);
      cold.hostNewVersion.push(b);
      cold.dispatcher.push(c);
    }
  }
  return cold;
}

function reportWarm(warm, runs) {
  console.log("");
  console.log(
    `${pad("target", 12)}${lpad("requests", 10)}${lpad("req/s", 9)}${lpad("p50 ms", 9)}${lpad("p99 ms", 9)}${lpad("CPU µs/req", 12)}`,
  );
  for (const [name, w] of Object.entries(warm)) {
    console.log(
      `${pad(name, 12)}${lpad(w.requests, 10)}${lpad(fmt(w.rps, 0), 9)}${lpad(fmt(w.p50), 9)}${lpad(fmt(w.p99), 9)}${lpad(fmt(w.cpuUs, 0), 12)}`,
    );
  }
  // Ratios are taken within each round (targets run back to back) and the
  // median of rounds is reported: drift on a shared machine cancels out.
  const ratio = (a, b, key) => {
    const xs = runs[a].map((r, i) => r[key] / runs[b][i][key]);
    return { value: median(xs), range: `[${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]` };
  };
  const line = (label, a, b, key, target, higherIsBetter) => {
    const r = ratio(a, b, key);
    if (!Number.isFinite(r.value)) return;
    const tail =
      target === undefined ? `${fmt(r.value)}  (reference, no target)` : verdict(r.value, target, higherIsBetter);
    console.log(`${pad(label, 30)}${pad(r.range, 14)}${tail}`);
  };
  console.log("");
  console.log(`${pad("ratio (median of rounds)", 30)}${pad("[min–max]", 14)}`);
  line("host/dispatcher throughput", "host", "dispatcher", "rps", TARGETS.throughput, true);
  line("host/dispatcher p50", "host", "dispatcher", "p50", TARGETS.p50, false);
  line("host/static throughput", "host", "static", "rps");
  line("host/static p50", "host", "static", "p50");
  line("dispatcher/static throughput", "dispatcher", "static", "rps");
  line("dispatcher/static p50", "dispatcher", "static", "p50");
  line("host/dispatcher CPU per req", "host", "dispatcher", "cpuUs");
}

function reportCold(cold, rssWarm, rssCold) {
  const c = Object.fromEntries(
    Object.entries(cold).map(([k, xs]) => [
      k,
      {
        p50: median(xs),
        p90: percentile(
          [...xs].sort((a, b) => a - b),
          90,
        ),
      },
    ]),
  );
  console.log("");
  console.log(`cold first request, ${COLD_SAMPLES} samples each (ms):`);
  console.log(`  dispatcher, new loader id   p50 ${fmt(c.dispatcher.p50)}  p90 ${fmt(c.dispatcher.p90)}`);
  console.log(`  host, new app               p50 ${fmt(c.hostNewApp.p50)}  p90 ${fmt(c.hostNewApp.p90)}`);
  console.log(`  host, new version of an app p50 ${fmt(c.hostNewVersion.p50)}  p90 ${fmt(c.hostNewVersion.p90)}`);
  console.log(
    `${pad("host/dispatcher cold p50, new app", 44)}${verdict(c.hostNewApp.p50 / c.dispatcher.p50, TARGETS.cold, false)}`,
  );
  console.log(
    `${pad("host/dispatcher cold p50, new version", 44)}${verdict(c.hostNewVersion.p50 / c.dispatcher.p50, TARGETS.cold, false)}`,
  );
  if (rssWarm !== undefined) {
    console.log("");
    console.log(
      `workerd RSS: ${fmt(rssWarm, 0)} MiB after the warm phase, ${fmt(rssCold ?? NaN, 0)} MiB after the cold phase`,
    );
  }
}

async function main() {
  const { ControlClient } = await dist("control-client/client.js");
  const { options: host, bundle, compatibilityDate: HOST_COMPATIBILITY_DATE } = await hostWorker();
  const mf = startWorkers(host, HOST_COMPATIBILITY_DATE);
  try {
    await mf.ready;
    const urls = {
      host: await mf.unsafeGetDirectURL("host"),
      dispatcher: await mf.unsafeGetDirectURL("dispatcher"),
      static: await mf.unsafeGetDirectURL("static"),
    };
    const control = new ControlClient({ url: urls.host.href, token: TOKEN });
    const targets = await setupTargets(control, urls, bundle);
    const pids = workerdPids();
    const runs = await warmPhase(targets, pids);
    const warm = warmFigures(runs);
    const rssWarm = workerdStats(pids)?.rssMiB;
    const cold = await coldPhase(control, urls);
    const rssCold = workerdStats(pids)?.rssMiB;
    reportWarm(warm, runs);
    reportCold(cold, rssWarm, rssCold);
  } finally {
    await mf.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exitCode = 1;
});
