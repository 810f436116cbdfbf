// bench:load part 3, log capture: the same trivial app with and without a
// console.log per request, through the host and (reference) as bare Workers,
// and the logging app with and without capture (what capture costs), over
// LOG_ROUNDS rounds; req/s, p50, ratios, and the log lines stored.
import { clock, fmt, load1, lpad, median, pad, percentiles } from "../lib/figures.mjs";
import { workerdStats } from "../lib/workerd-proc.mjs";
import { CHATTY_SOURCE, QUIET_SOURCE, jsApp } from "./apps.mjs";
import { HIGH_QUOTA, LOG, TARGETS } from "./config.mjs";
import { cannon, getText, sleep } from "./runtime.mjs";

export async function partLogs(ctx) {
  console.log("");
  console.log(
    `3. log capture: the same trivial app with and without one console.log per request, ${LOG.rounds} rounds, ` +
      `${LOG.connections} connections, ${LOG.warmupSeconds} s warm-up + ${LOG.seconds} s each, order rotated per round; load average ${load1()}`,
  );
  console.log(
    "   host: apps quiet and chatty through the host (both keep logs: the capture runs for both), plain (the quiet app without logs) " +
      "and chatty-nolog (the chatty app without logs: it prints its lines, nothing captures them); bare: the same two Workers on workerd alone (no host), for reference",
  );
  const { targets, served } = await deployLogApps(ctx);
  const rec = {
    served,
    runs: Object.fromEntries(targets.map((t) => [t.name, []])),
    failures: [],
    failureSamples: new Set(),
    chattyEnded: 0,
  };
  await runRounds(ctx, targets, rec);
  reportRatios(targets, rec.runs);
  await checkStoredLogs(ctx.control, rec);
}

/** The four apps through the host, and every target answering once. */
async function deployLogApps({ base, bare, control }) {
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
  return { targets, served };
}

/** One run against one target (a warm-up, or measured: then its figures go to rec.runs). */
async function runOne({ pids }, rec, t, seconds, measure) {
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
  const { done } = cannon(
    { url: u.origin, connections: LOG.connections, duration: seconds, requests: [request] },
    (_c, status, _b, ms) => {
      if (status === 200) latencies.push(ms);
    },
  );
  const r = await done;
  const after = workerdStats(pids);
  rec.served[t.name] += latencies.length;
  if (r.errors || r.non2xx) {
    const what = `${t.name} (${measure ? "measured" : "warm-up"}): ${r.non2xx} non-2xx, ${r.errors} socket errors (${r.timeouts} timeouts)`;
    rec.failures.push(what);
    for (const x of [...samples, ...r.reqErrorSamples]) rec.failureSamples.add(x);
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
  rec.runs[t.name].push(result);
  return result;
}

async function runRounds(ctx, targets, rec) {
  for (let round = 0; round < LOG.rounds; round++) {
    for (let i = 0; i < targets.length; i++) {
      const t = targets[(i + round) % targets.length];
      await runOne(ctx, rec, t, LOG.warmupSeconds, false);
      const r = await runOne(ctx, rec, t, LOG.seconds, true);
      if (t.name === "chatty") rec.chattyEnded = Date.now();
      console.log(
        `   round ${round + 1} ${pad(t.name, 12)} ${lpad(r.requests, 7)} req ${lpad(fmt(r.rps, 0), 6)} req/s  p50 ${fmt(r.p50)} ms  p99 ${fmt(r.p99)} ms  ` +
          `workerd ${fmt(r.cpuUs, 0)} µs CPU/req`,
      );
      await sleep(1200); // the app's hand-over and the host's batch (500 ms each) land before the next run
    }
  }
}

/** Medians of rounds per target, then the ratios (each the median of per-round ratios). */
function reportRatios(targets, runs) {
  const ratio = (a, b, key) => {
    const xs = runs[a].map((c, i) => c[key] / runs[b][i][key]);
    return { value: median(xs), range: `[${fmt(Math.min(...xs))}–${fmt(Math.max(...xs))}]` };
  };
  const med = (name, key) => median(runs[name].map((r) => r[key]));
  console.log(
    `   ${pad("", 13)}${lpad("req/s", 8)}${lpad("p50 ms", 9)}${lpad("p99 ms", 9)}${lpad("CPU µs/req", 12)}   (medians of rounds)`,
  );
  for (const { name } of targets) {
    console.log(
      `   ${pad(name, 13)}${lpad(fmt(med(name, "rps"), 0), 8)}${lpad(fmt(med(name, "p50")), 9)}${lpad(fmt(med(name, "p99")), 9)}${lpad(fmt(med(name, "cpuUs"), 0), 12)}`,
    );
  }
  console.log(`   ${pad("ratio (median of per-round ratios)", 42)}${pad("[min–max]", 14)}`);
  const line = (label, r, target, higherIsBetter) =>
    console.log(
      `   ${pad(label, 42)}${pad(r.range, 14)}${fmt(r.value, 3)}  ` +
        (target === undefined
          ? "(reference)"
          : `${(higherIsBetter ? r.value >= target : r.value <= target) ? "PASS" : "MISS"} (target ${higherIsBetter ? "≥" : "≤"} ${target})`),
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
}

/** Log lines by level and first 80 characters, with a count each. */
const kinds = (lines) => {
  const m = new Map();
  for (const l of lines)
    m.set(`${l.level}: ${l.message.slice(0, 80)}`, (m.get(`${l.level}: ${l.message.slice(0, 80)}`) ?? 0) + 1);
  return [...m].map(([k, n]) => `${n}× "${k}"`).join(", ");
};

/** The lines the host stored for chatty (full, recent, none missing) and quiet, and the runs' errors. */
async function checkStoredLogs(control, { served, failures, failureSamples, chattyEnded }) {
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
