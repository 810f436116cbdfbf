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
// This file starts workerd and runs the parts; each part is in bench/load/
// (part-load.mjs, part-rate.mjs, part-logs.mjs), with the knobs (config.mjs),
// the apps (apps.mjs) and what shutdown() stops (runtime.mjs).
import { Miniflare } from "miniflare";
import { load1 } from "./lib/figures.mjs";
import { TOKEN, dist, hostWorker } from "./lib/host-worker.mjs";
import { workerdPids, workerdStats } from "./lib/workerd-proc.mjs";
import { BARE_WORKERS } from "./load/apps.mjs";
import { LOAD, LOG, PARTS, RATE } from "./load/config.mjs";
import { partLoad } from "./load/part-load.mjs";
import { partLogs } from "./load/part-logs.mjs";
import { partRate } from "./load/part-rate.mjs";
import { handleRuntimeStdio, shutdown, state, stdioSummary } from "./load/runtime.mjs";

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
  const bare = {
    quiet: await state.mf.unsafeGetDirectURL("bare-quiet"),
    chatty: await state.mf.unsafeGetDirectURL("bare-chatty"),
  };
  const ctx = { base, bare, control, pids };
  if (PARTS.has("1")) await partLoad(ctx);
  if (PARTS.has("2")) await partRate(ctx);
  if (PARTS.has("3")) await partLogs(ctx);
  if (pids.length && !workerdStats(pids))
    console.log(`\nworkerd (pid ${pids.join(", ")}) is no longer running: it exited during the run`);
}

// Bounded: the parts' own durations plus generous slack; then everything is stopped.
const budgetS = LOAD.seconds + 120 + RATE.seconds + LOG.rounds * 5 * (LOG.seconds + LOG.warmupSeconds + 1) + 300;
const watchdog = setTimeout(() => {
  console.error(`load bench: over its ${budgetS} s budget; stopping`);
  shutdown().finally(() => process.exit(1));
}, budgetS * 1000);
watchdog.unref();
for (const [signal, code] of [
  ["SIGINT", 130],
  ["SIGTERM", 143],
]) {
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
