// bench:load part 1, load: LOAD_APPS apps (half stateless JSON, half a SQLite
// counter object), LOAD_CONNECTIONS connections for LOAD_SECONDS, requests
// spread over all apps by path; throughput, p50/p99, errors, workerd RSS.
import { clock, fmt, load1, lpad, pad, percentiles } from "../lib/figures.mjs";
import { workerdStats } from "../lib/workerd-proc.mjs";
import { COUNTER_SOURCE, STATELESS_SOURCE, jsApp } from "./apps.mjs";
import { HIGH_QUOTA, LOAD } from "./config.mjs";
import { cannon, getText, pool, state } from "./runtime.mjs";

export async function partLoad(ctx) {
  const fleet = await deployFleet(ctx);
  const rec = await runLoad(ctx, fleet);
  const counts = await countHits(ctx, fleet, rec);
  reportThroughput(rec);
  reportTimes(rec);
  reportCounts(fleet, rec, counts);
}

/** Deploys the apps and touches each once; prints the header and how long both took. */
async function deployFleet({ base, control, pids }) {
  const half = Math.floor(LOAD.apps / 2);
  const stateless = Array.from({ length: LOAD.apps - half }, (_, i) => `st-${String(i).padStart(3, "0")}`);
  const counters = Array.from({ length: half }, (_, i) => `do-${String(i).padStart(3, "0")}`);
  const objects = Array.from({ length: LOAD.objectsPerApp }, (_, i) => `o${i}`);
  console.log("");
  console.log(
    `1. load: ${LOAD.apps} apps (${stateless.length} stateless, ${counters.length} with a SQLite counter object, ${objects.length} object names each), ` +
      `${LOAD.connections} connections, ${LOAD.seconds} s; load average ${load1()}`,
  );

  const rssEmpty = workerdStats(pids)?.rssMiB;
  const t0 = performance.now();
  const all = [...stateless.map((name) => ({ name, kind: "st" })), ...counters.map((name) => ({ name, kind: "do" }))];
  await pool(all, LOAD.deployConcurrency, ({ name, kind }) =>
    control.rollOut(
      name,
      jsApp(kind === "st" ? STATELESS_SOURCE : COUNTER_SOURCE, {
        env: { APP_NAME: name },
        ...(kind === "do" ? { durableObject: "Counter" } : {}),
      }),
      { quota: HIGH_QUOTA },
    ),
  );
  const deployS = (performance.now() - t0) / 1000;

  // First touch: every app once, every object once (so each counter starts at 1).
  const t1 = performance.now();
  const touches = [
    ...stateless.map((a) => `/apps/${a}/touch`),
    ...counters.flatMap((a) => objects.map((o) => `/apps/${a}/hit/${o}`)),
  ];
  await pool(touches, 8, async (path) => {
    const r = await getText(new URL(path, base));
    if (r.status !== 200) throw new Error(`GET ${path}: ${r.status} ${r.body.slice(0, 200)}`);
  });
  const touchS = (performance.now() - t1) / 1000;
  const rssStart = workerdStats(pids)?.rssMiB;
  console.log(
    `   deployed ${all.length} apps through the control API in ${fmt(deployS, 1)} s; first touch of ${touches.length} paths in ${fmt(touchS, 1)} s`,
  );
  return { stateless, counters, objects, all, rssEmpty, rssStart };
}

/** What the run records: filled by the request generator and the response handlers. */
function newRecord() {
  return {
    latencies: { st: [], do: [] },
    statuses: new Map(),
    badSamples: [],
    /** When errors happened: seconds into the run, and the UTC time (rate windows turn at :00). */
    errorAt: [],
    mismatches: 0,
    ok: { st: 0, do: 0 },
    rssTrace: [],
    runStart: 0,
    stalls: [],
    lastResponse: 0,
    longest: { ms: 0, at: 0, what: "" },
    /** Responses slower than 1 s, by kind of request: a slow kind points at its path in the host. */
    slow: { st: 0, do: 0 },
  };
}
const since = (rec, t) => `${fmt((t - rec.runStart) / 1000, 1)} s (${clock(t).slice(0, 10)})`;
const at = (rec) => `${fmt((Date.now() - rec.runStart) / 1000, 1)} s (${clock(Date.now()).slice(0, 10)})`;

/** The run's requests: each picks an app uniformly, a counter app also one of its object names. */
function loadRequest({ all, objects }, rec) {
  return {
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
        rec.mismatches++;
        if (rec.badSamples.length < 5) rec.badSamples.push(`${ctx.app}: ${status} ${body.slice(0, 160)}`);
      } else if (status < 200 || status >= 300) {
        rec.errorAt.push(`${at(rec)} ${status}`);
        if (rec.badSamples.length < 5) rec.badSamples.push(`${ctx.app}: ${status} ${body.slice(0, 160)}`);
      }
    },
  };
}

/**
 * Stalls: stretches of at least STALL_MS with no response at all (32 connections at hundreds of
 * req/s never go that long). workerd's HTTP server (kj) closes a kept-alive connection whose next
 * request it has not read within 5 s (its pipelineTimeout), so an event-loop stall over 5 s ends in
 * a burst of ECONNRESET, with nothing in workerd's log.
 */
const STALL_MS = 1000;
function sawResponse(rec, ms, ctx) {
  const now = Date.now();
  if (now - rec.lastResponse >= STALL_MS) rec.stalls.push([rec.lastResponse, now - rec.lastResponse]);
  rec.lastResponse = now;
  if (ms > rec.longest.ms)
    rec.longest = { ms, at: now, what: `${ctx?.kind === "do" ? "object" : "stateless"} request to ${ctx?.app}` };
  if (ms >= 1000 && ctx?.kind in rec.slow) rec.slow[ctx.kind]++;
}

function onLoadResponse(rec, client, status, ms) {
  rec.statuses.set(status, (rec.statuses.get(status) ?? 0) + 1);
  sawResponse(rec, ms, client.requestIterator.context);
  if (status >= 200 && status < 300) {
    const kind = client.requestIterator.context.kind;
    rec.latencies[kind].push(ms);
    rec.ok[kind]++;
  }
}

/** The run itself, with workerd's RSS sampled six times over it. */
async function runLoad({ base, pids }, fleet) {
  const rec = newRecord();
  const request = loadRequest(fleet, rec);
  rec.before = workerdStats(pids);
  rec.runStart = Date.now();
  rec.lastResponse = rec.runStart;
  const sampler = setInterval(
    () => rec.rssTrace.push([Math.round((Date.now() - rec.runStart) / 1000), workerdStats(pids)?.rssMiB]),
    Math.max(1000, (LOAD.seconds * 1000) / 6),
  );
  state.timers.add(sampler);
  const { instance, done } = cannon(
    { url: base.origin, connections: LOAD.connections, duration: LOAD.seconds, requests: [request] },
    (client, status, _bytes, ms) => onLoadResponse(rec, client, status, ms),
  );
  instance.on("reqError", (e) => rec.errorAt.push(`${at(rec)} ${e?.code ?? e?.message ?? "error"}`));
  rec.r = await done.finally(() => clearInterval(sampler));
  rec.after = workerdStats(pids);
  return rec;
}

/** The objects' own counts, and the app errors the host recorded. */
async function countHits({ base, control }, { all, counters, objects }, rec) {
  // Every hit the clients saw must be in a counter (plus the first touch, plus at most one request in flight per connection at stop).
  let counted = 0;
  await pool(
    counters.flatMap((a) => objects.map((o) => [a, o])),
    8,
    async ([a, o]) => {
      const res = await getText(new URL(`/apps/${a}/count/${o}`, base));
      if (res.status !== 200) throw new Error(`GET /apps/${a}/count/${o}: ${res.status} ${res.body.slice(0, 200)}`);
      counted += JSON.parse(res.body).count;
    },
  );
  const touchedObjects = counters.length * objects.length;
  // What the host recorded as app errors (a failed entrypoint call), over all apps.
  const appErrors = (await pool(all, 8, async ({ name }) => (await control.usage(name)).usage.errors)).reduce(
    (a, b) => a + b,
    0,
  );
  const extra = counted - touchedObjects - rec.ok.do;
  return { counted, touchedObjects, appErrors, extra };
}

function reportThroughput({ r, ok, latencies, statuses, mismatches, before, after, badSamples }) {
  const total = ok.st + ok.do;
  const non2xx = [...statuses].filter(([s]) => s < 200 || s >= 300).reduce((a, [, n]) => a + n, 0);
  const errors = non2xx + r.errors + mismatches;
  const [p50, p99] = percentiles([...latencies.st, ...latencies.do], [50, 99]);
  const [stP50, stP99] = percentiles(latencies.st, [50, 99]);
  const [doP50, doP99] = percentiles(latencies.do, [50, 99]);
  const cpuS = before && after ? (after.cpuMs - before.cpuMs) / 1000 : NaN;
  console.log(`   ${pad("", 12)}${lpad("2xx", 9)}${lpad("req/s", 9)}${lpad("p50 ms", 9)}${lpad("p99 ms", 9)}`);
  const row = (label, n, a, b) =>
    console.log(
      `   ${pad(label, 12)}${lpad(n, 9)}${lpad(fmt(n / r.duration, 0), 9)}${lpad(fmt(a), 9)}${lpad(fmt(b), 9)}`,
    );
  row("all", total, p50, p99);
  row("stateless", ok.st, stP50, stP99);
  row("object", ok.do, doP50, doP99);
  console.log(
    `   over ${fmt(r.duration, 1)} s; workerd CPU ${fmt(cpuS, 1)} s (${fmt((cpuS / r.duration) * 100, 0)}% of one core); load average ${load1()}`,
  );
  console.log(
    `   errors: ${errors}  (non-2xx ${non2xx}, socket errors ${r.errors} of which timeouts ${r.timeouts}, wrong bodies ${mismatches})  ` +
      `${errors === 0 ? "PASS" : "MISS"} (target 0)`,
  );
  if (non2xx) console.log(`   status codes: ${[...statuses].map(([s, n]) => `${s}×${n}`).join(", ")}`);
  for (const s of [...badSamples, ...r.reqErrorSamples]) console.log(`     e.g. ${s}`);
}

/** The longest response, the stalls and when errors happened. */
function reportTimes(rec) {
  const { longest, slow, stalls, errorAt } = rec;
  console.log(
    `   longest response ${fmt(longest.ms, 0)} ms (${longest.what}, ended ${since(rec, longest.at)}); responses over 1 s: ${slow.st} stateless, ${slow.do} object; stalls (no response at all for ≥ ${STALL_MS / 1000} s): ` +
      (stalls.length ? stalls.map(([t, d]) => `${fmt(d / 1000, 1)} s from ${since(rec, t)}`).join(", ") : "none"),
  );
  if (errorAt.length)
    console.log(`   errors at: ${errorAt.slice(0, 20).join(", ")}${errorAt.length > 20 ? ", …" : ""}`);
}

function reportCounts({ rssEmpty, rssStart }, { ok, after, rssTrace }, { counted, touchedObjects, appErrors, extra }) {
  const rssEnd = after?.rssMiB;
  console.log(
    `   object hits counted by the objects: ${counted} = ${touchedObjects} first touches + ${ok.do} seen by clients ${extra >= 0 ? "+" : "−"} ${Math.abs(extra)} ` +
      `(${extra >= 0 && extra <= LOAD.connections ? `in flight at stop; ≤ ${LOAD.connections} expected` : "UNEXPECTED: hits lost or double-counted"})`,
  );
  console.log(`   app errors the host recorded (usage.errors, all apps): ${appErrors}`);
  console.log(
    `   workerd RSS: ${fmt(rssEmpty, 0)} MiB empty, ${fmt(rssStart, 0)} MiB at start (apps deployed and touched), ${fmt(rssEnd, 0)} MiB at end`,
  );
  console.log(`   RSS during the run (s: MiB): ${rssTrace.map(([t, m]) => `${t}: ${fmt(m, 0)}`).join(", ")}`);
}
