// bench:ratelimit: requestsPerMinute from 1 to 200 isolates (issue 17).
//
//   1. Simulated: the host's own limiter code (dist/provider/shared/rate-lease.js)
//      driven by bench/lib/rate-sim.mjs for 1, 8, 64 and 200 isolates, demand
//      at twice the limit (steady, bursty, churning between isolates), one
//      whole minute window each. Baseline in the same run: the fixed 1/20
//      slices the limiter had before, on the same traffic.
//   2. Real: the host as 8 Workers (8 isolates) in one workerd sharing one
//      control plane; app "one" flooded through one isolate, app "eight"
//      through all 8, both through the same whole minute window.
//
// Each line prints admitted vs the limit and the error in % (target ±10 %).
// Knobs: RATELIMIT_LIMIT (6000), RATELIMIT_REAL (1; 0 skips part 2, which
// waits for a minute boundary), RATELIMIT_CONNECTIONS (4 per isolate).
import { Miniflare } from "miniflare";
import { simulate, sliceLease } from "./lib/rate-sim.mjs";
import { dist, hostWorker, TOKEN } from "./lib/host-worker.mjs";
import { clock, fmt, lpad, pad } from "./lib/figures.mjs";

const LIMIT = Number(process.env.RATELIMIT_LIMIT ?? 6000);
const REAL = process.env.RATELIMIT_REAL !== "0";
const CONNECTIONS = Number(process.env.RATELIMIT_CONNECTIONS ?? 4);
const ISOLATES = [1, 8, 64, 200];
const PATTERNS = ["steady", "bursty", "churn"];

const verdict = (errPct) => (Math.abs(errPct) <= 10 ? "PASS" : "MISS");
const pct = (x) => `${x >= 0 ? "+" : ""}${fmt(x, 2)} %`;

function simulated(lease) {
  console.log(`1. simulated: requestsPerMinute = ${LIMIT}, demand 2 × the limit, one whole minute window`);
  console.log(
    `   ${pad("isolates", 9)}${pad("demand", 8)}${lpad("admitted", 9)}${lpad("limit", 7)}${lpad("error", 11)}  ` +
      `${pad("", 5)}${lpad("calls/admitted", 15)}${lpad("1/20 slices", 13)}`,
  );
  for (const isolates of ISOLATES) {
    for (const pattern of PATTERNS) {
      const ours = simulate(lease, { isolates, limit: LIMIT, pattern });
      const base = simulate(sliceLease(LIMIT), { isolates, limit: LIMIT, pattern });
      console.log(
        `   ${pad(isolates, 9)}${pad(pattern, 8)}${lpad(ours.admitted, 9)}${lpad(LIMIT, 7)}${lpad(pct(ours.errorPct), 11)}  ` +
          `${pad(verdict(ours.errorPct), 5)}${lpad(fmt(ours.calls / Math.max(1, ours.admitted), 3), 15)}` +
          `${lpad(pct(base.errorPct), 13)}`,
      );
    }
  }
}

/** The host as `count` Workers: "host" defines the Durable Objects, the others bind them. */
async function startIsolates(count) {
  const { options } = await hostWorker();
  const copy = (i) => ({
    ...options,
    name: `host-${i}`,
    unsafeDirectSockets: undefined,
    durableObjects: Object.fromEntries(
      Object.entries(options.durableObjects).map(([b, o]) => [b, { ...o, scriptName: "host" }]),
    ),
  });
  const mf = new Miniflare({
    workers: [options, ...Array.from({ length: count - 1 }, (_, i) => copy(i + 1))],
    cf: { colo: "LOCAL", country: "XX" },
  });
  await mf.ready;
  const url = (await mf.unsafeGetDirectURL("host")).href;
  const workers = await Promise.all([
    mf.getWorker("host"),
    ...Array.from({ length: count - 1 }, (_, i) => mf.getWorker(`host-${i + 1}`)),
  ]);
  return { mf, url, workers };
}

/** Floods `app` through `workers` from now until `to`; counts the answers that came within [from, to). */
async function flood(workers, app, from, to) {
  let admitted = 0;
  let refused = 0;
  let other = 0;
  const one = async (worker) => {
    while (Date.now() < to) {
      const res = await worker.fetch(`http://host/apps/${app}/`);
      await res.arrayBuffer();
      const t = Date.now();
      if (t < from || t >= to) continue;
      if (res.status === 200) admitted++;
      else if (res.status === 429) refused++;
      else other++;
    }
  };
  await Promise.all(workers.flatMap((w) => Array.from({ length: CONNECTIONS }, () => one(w))));
  return { admitted, refused, other };
}

async function real() {
  const { ControlClient } = await dist("control-client/client.js");
  const { mf, url, workers } = await startIsolates(8);
  try {
    const control = new ControlClient({ url, token: TOKEN });
    const app = {
      mainModule: "index.js",
      modules: { "index.js": { type: "js", content: "export default { fetch() { return new Response('ok'); } };" } },
      compatibilityDate: "2026-07-01",
    };
    for (const name of ["one", "eight"]) await control.rollOut(name, app, { quota: { requestsPerMinute: LIMIT } });
    let boundary = (Math.floor(Date.now() / 60_000) + 1) * 60_000;
    if (boundary - Date.now() < 2_000) boundary += 60_000;
    console.log("");
    console.log(
      `2. real: 8 host isolates in one workerd sharing one control plane, ${CONNECTIONS} connections per isolate; waiting ${fmt((boundary - Date.now()) / 1000, 1)} s for the window at ${clock(boundary)} UTC`,
    );
    // Warm both apps' budgets in the minute before, then flood the whole window.
    const [one, eight] = await Promise.all([
      flood(workers.slice(0, 1), "one", boundary, boundary + 60_000),
      flood(workers, "eight", boundary, boundary + 60_000),
    ]);
    for (const [label, r] of [
      ["1 isolate", one],
      ["8 isolates", eight],
    ]) {
      const err = ((r.admitted - LIMIT) / LIMIT) * 100;
      console.log(
        `   ${pad(label, 11)} admitted ${lpad(r.admitted, 6)}  limit ${LIMIT}  error ${lpad(pct(err), 9)}  ${verdict(err)}   (429s ${r.refused}, other ${r.other})`,
      );
    }
  } finally {
    await mf.dispose();
  }
}

const lease = await dist("shared/rate-lease.js");
simulated(lease);
if (REAL) await real();
