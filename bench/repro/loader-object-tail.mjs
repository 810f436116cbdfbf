// The long object-request tails of bench:load, reproduced without our host.
//
// One Worker of ~20 lines on one workerd, with two paths loaded the same way
// (32 connections, 50 apps x 4 objects, each request one SQLite write in one
// Durable Object):
// - direct: the Worker's fetch calls the object itself;
// - isolate: the Worker hands the request to a per-app isolate from
//   its Worker Loader, whose fetch calls the object through a loopback
//   entrypoint (ctx.exports), as every app of our host does through env.OBJECTS.
// It prints, for each, throughput, p50/p99/max latency, responses over 1 s and
// the seconds in which they ended (they end in bursts: a dozen or more requests
// of different apps held together for 1-5 s), and the ratios of the second to
// the first. In our runs on a 2-core machine with workerd 1.20260730.1 (the
// one miniflare 4.20260730.0 asks for): direct max ~0.2 s and no response
// over 1 s; through an isolate max 3-5 s, hundreds over 1 s, and some runs
// with socket errors. With 4 connections the tails go; with 8 they start.
// KV writes (even allowUnconfirmed) do it too, and a static front Worker over
// a service binding a little; a front that only waits (no storage) does not.
// workerd 1.20261117.1, which this repository pins, shows none of it (max
// 0.2 s). Run it on another binary with MINIFLARE_WORKERD_PATH=<workerd>.
//
// Knobs: REPRO_SECONDS (30 per case), REPRO_CONNECTIONS (32). 127.0.0.1 only.
import autocannon from "autocannon";
import { Miniflare } from "miniflare";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";

const SECONDS = Number(process.env.REPRO_SECONDS ?? 30);
const CONNECTIONS = Number(process.env.REPRO_CONNECTIONS ?? 32);
const APPS = 50;
const OBJECTS_PER_APP = 4;

const HOST = `
import { DurableObject, WorkerEntrypoint } from "cloudflare:workers";
export class Counter extends DurableObject {
  hit() {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
    return this.ctx.storage.sql.exec("INSERT INTO hits (id, n) VALUES (1, 1) ON CONFLICT(id) DO UPDATE SET n = n + 1 RETURNING n").one().n;
  }
}
export class Objects extends WorkerEntrypoint {
  hit(name) { return this.env.COUNTER.get(this.env.COUNTER.idFromName(this.ctx.props.app + "/" + name)).hit(); }
}
const APP = "export default { async fetch(request, env) { const name = new URL(request.url).pathname.split('/')[3]; return Response.json({ n: await env.OBJECTS.hit(name) }); } };";
export default {
  async fetch(request, env, ctx) {
    const [, mode, app, name] = new URL(request.url).pathname.split("/");
    if (mode === "direct") {
      return Response.json({ n: await env.COUNTER.get(env.COUNTER.idFromName(app + "/" + name)).hit() });
    }
    const worker = env.LOADER.get(app, () => ({
      compatibilityDate: "2026-07-01",
      mainModule: "app.js",
      modules: { "app.js": APP },
      env: { OBJECTS: ctx.exports.Objects({ props: { app } }) },
      globalOutbound: null,
    }));
    return worker.getEntrypoint().fetch(request);
  },
};`;

async function run(origin, mode) {
  const slow = [];
  const started = Date.now();
  const instance = autocannon({
    url: origin,
    connections: CONNECTIONS,
    duration: SECONDS,
    requests: [
      {
        setupRequest(req) {
          req.path = `/${mode}/a${Math.floor(Math.random() * APPS)}/o${Math.floor(Math.random() * OBJECTS_PER_APP)}`;
          return req;
        },
      },
    ],
  });
  instance.on("response", (_client, _status, _bytes, ms) => {
    if (ms > 1000) slow.push(Math.floor((Date.now() - started) / 1000));
  });
  const r = await instance;
  const bursts = {};
  for (const s of slow) bursts[s] = (bursts[s] ?? 0) + 1;
  return {
    mode,
    rps: r.requests.average,
    p50: r.latency.p50,
    p99: r.latency.p99,
    max: r.latency.max,
    slow: slow.length,
    errors: r.errors + r.non2xx /* autocannon counts timeouts among errors */,
    bursts,
  };
}

const dir = mkdtempSync(join(tmpdir(), "loader-tail-"));
let mf = null;
const stop = async () => {
  await mf?.dispose().catch(() => {});
  rmSync(dir, { recursive: true, force: true });
};
for (const signal of ["SIGINT", "SIGTERM"]) process.once(signal, () => stop().then(() => process.exit(130)));
try {
  mf = new Miniflare({
    modules: true,
    script: HOST,
    compatibilityDate: "2026-07-01",
    workerLoaders: { LOADER: {} },
    durableObjects: { COUNTER: { className: "Counter", useSQLite: true } },
    durableObjectsPersist: dir,
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  });
  const { origin } = await mf.unsafeGetDirectURL();
  // Every object and isolate once, so neither case pays first loads; both paths must work.
  for (const mode of ["direct", "isolate"]) {
    for (let a = 0; a < APPS; a++) {
      for (let o = 0; o < OBJECTS_PER_APP; o++) {
        const res = await fetch(`${origin}/${mode}/a${a}/o${o}`);
        const body = await res.text();
        if (res.status !== 200) throw new Error(`GET /${mode}/a${a}/o${o}: ${res.status} ${body.slice(0, 200)}`);
      }
    }
  }
  console.log(
    `loader-object-tail: ${APPS} apps x ${OBJECTS_PER_APP} objects, ${CONNECTIONS} connections, ${SECONDS} s per case`,
  );
  const results = [];
  for (const mode of ["direct", "isolate"]) {
    const r = await run(origin, mode);
    results.push(r);
    console.log(
      `  ${mode.padEnd(8)} ${Math.round(r.rps)} req/s  p50 ${r.p50} ms  p99 ${r.p99} ms  max ${r.max} ms  over 1 s: ${r.slow}  errors: ${r.errors}` +
        (r.slow ? `  (ended at s: ${JSON.stringify(r.bursts)})` : ""),
    );
  }
  const [d, i] = results;
  console.log(
    `  isolate / direct: throughput ${(i.rps / d.rps).toFixed(2)}, p99 ${(i.p99 / d.p99).toFixed(1)}x, max ${(i.max / d.max).toFixed(1)}x`,
  );
} finally {
  await stop();
}
