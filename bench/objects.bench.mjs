// npm run bench:objects — Durable Objects of apps through the host, on the built dist/.
//
// One workerd (one Miniflare) runs the host (dist/host.js) and, beside it, a
// plain Worker with the same app code and an ordinary Durable Object binding.
// Measured in the same run, interleaved round by round:
//   1. request   an object fetch() through a declared namespace (env.COUNTER)
//                vs the same through env.OBJECTS, and vs plain workerd
//   2. socket    a WebSocket message round trip to an object (Hibernation
//                API) through the host vs plain workerd
//   3. alarms    ALARMS objects each set an alarm ALARM_AHEAD_MS ahead:
//                scheduled-to-fired delay p50 / p99, host and plain
// Knobs: OBJ_ROUNDS (5), OBJ_REQUESTS (300 per round and target),
// OBJ_MESSAGES (300 per round and target), ALARMS (1000), ALARM_AHEAD_MS (1000).
// A missed target is reported, never fatal; only errors exit non-zero.
import { Miniflare } from "miniflare";
import { fmt, median, percentiles } from "./lib/figures.mjs";
import { TOKEN, dist, hostWorker } from "./lib/host-worker.mjs";

const ROUNDS = Number(process.env.OBJ_ROUNDS ?? 5);
const REQUESTS = Number(process.env.OBJ_REQUESTS ?? 300);
const MESSAGES = Number(process.env.OBJ_MESSAGES ?? 300);
const ALARMS = Number(process.env.ALARMS ?? 1000);
const ALARM_AHEAD_MS = Number(process.env.ALARM_AHEAD_MS ?? 1000);
const TARGETS = { nsVsObjects: 1.05, socketVsPlain: 1.2 };
const DATE = "2026-07-01";

/** The app: the same class behind a namespace (env.COUNTER) and, in the host, env.OBJECTS too. */
const APP = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  async fetch(request) {
    if (request.headers.get("upgrade") === "websocket") {
      const { 0: client, 1: server } = new WebSocketPair();
      this.ctx.acceptWebSocket(server);
      return new Response(null, { status: 101, webSocket: client });
    }
    const n = (this.ctx.storage.kv.get("n") ?? 0) + 1;
    this.ctx.storage.kv.put("n", n);
    return new Response(String(n));
  }
  webSocketMessage(ws, message) { ws.send(message); }
  async arm(ahead) {
    const at = Date.now() + ahead;
    this.ctx.storage.kv.put("at", at);
    await this.ctx.storage.setAlarm(at);
    return true;
  }
  alarm() { this.ctx.storage.kv.put("delay", Date.now() - this.ctx.storage.kv.get("at")); }
  delay() { return this.ctx.storage.kv.get("delay") ?? null; }
}
export default {
  async fetch(request, env) {
    const url = new URL(request.url);
    const p = url.pathname;
    if (p === "/objects") return env.OBJECTS.get("c").fetch(request);
    if (p === "/arm") return Response.json(await env.COUNTER.getByName("a" + url.searchParams.get("i")).arm(Number(url.searchParams.get("ahead"))));
    if (p === "/delay") return Response.json(await env.COUNTER.getByName("a" + url.searchParams.get("i")).delay());
    return env.COUNTER.getByName("c").fetch(request);
  },
};`;

async function timed(url) {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 200)}`);
  return performance.now() - t0;
}

async function requestRound(url, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await timed(url));
  return out;
}

/** Round trips of one message each over one WebSocket. */
async function socketRound(url, n) {
  const ws = new WebSocket(url);
  await new Promise((ok, fail) => {
    ws.onopen = ok;
    ws.onerror = () => fail(new Error(`WebSocket ${url} failed`));
  });
  const out = [];
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    await new Promise((ok) => {
      ws.onmessage = ok;
      ws.send(`m${i}`);
    });
    out.push(performance.now() - t0);
  }
  ws.close();
  return out;
}

async function alarms(base, label) {
  const get = async (path) => {
    const res = await fetch(new URL(path, base));
    if (res.status !== 200) throw new Error(`${label} ${path}: ${res.status} ${await res.text()}`);
    return res.json();
  };
  for (let i = 0; i < ALARMS; i++) await get(`arm?i=${i}&ahead=${ALARM_AHEAD_MS}`);
  const delays = [];
  const deadline = Date.now() + ALARM_AHEAD_MS + 60_000;
  for (let i = 0; i < ALARMS; i++) {
    let d = null;
    while (d === null && Date.now() < deadline) {
      d = await get(`delay?i=${i}`);
      if (d === null) await new Promise((r) => setTimeout(r, 50));
    }
    if (d === null) throw new Error(`${label}: alarm ${i} never fired`);
    delays.push(d);
  }
  const [p50, p99] = percentiles(delays, [50, 99]);
  return { p50, p99 };
}

/** One workerd: the host, and the app as a plain Worker beside it, each on a direct socket. */
async function start() {
  const { options: host } = await hostWorker();
  host.bindings.PLATFORM_CONFIG = { cacheTtlSeconds: 60, limits: { maxQuota: { maxObjects: ALARMS + 10 } } };
  const mf = new Miniflare({
    host: "127.0.0.1",
    port: 0,
    durableObjectsPersist: false,
    workers: [
      host,
      {
        name: "plain",
        modules: [{ type: "ESModule", path: "index.js", contents: APP }],
        compatibilityDate: DATE,
        durableObjects: { COUNTER: { className: "Counter", useSQLite: true } },
        unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
      },
    ],
  });
  await mf.ready;
  return { mf, hostUrl: await mf.unsafeGetDirectURL("host"), plainUrl: await mf.unsafeGetDirectURL("plain") };
}

async function deployApp(hostUrl) {
  const { ControlClient } = await dist("control-client/client.js");
  const control = new ControlClient({ url: hostUrl.toString(), token: TOKEN });
  await control.rollOut(
    "bench",
    {
      mainModule: "index.js",
      modules: { "index.js": { type: "js", content: APP } },
      compatibilityDate: DATE,
      durableObject: "Counter",
      durableObjects: { COUNTER: "Counter" },
    },
    { quota: { maxObjects: ALARMS + 10, requestsPerMinute: 1_000_000 } },
  );
}

/** Parts 1 and 2, interleaved round by round. */
async function requestsAndSockets(ns, objects, plain) {
  for (const u of [ns, objects, plain]) await requestRound(u, 50);
  const r = { ns: [], objects: [], plain: [], wsHost: [], wsPlain: [] };
  for (let round = 0; round < ROUNDS; round++) {
    r.ns.push(median(await requestRound(ns, REQUESTS)));
    r.objects.push(median(await requestRound(objects, REQUESTS)));
    r.plain.push(median(await requestRound(plain, REQUESTS)));
    r.wsHost.push(median(await socketRound(ns.replace(/^http/, "ws"), MESSAGES)));
    r.wsPlain.push(median(await socketRound(plain.replace(/^http/, "ws"), MESSAGES)));
    console.log(
      `  round ${round + 1}: request p50 ns ${fmt(r.ns.at(-1))} ms, OBJECTS ${fmt(r.objects.at(-1))} ms, plain ${fmt(r.plain.at(-1))} ms; socket p50 host ${fmt(r.wsHost.at(-1))} ms, plain ${fmt(r.wsPlain.at(-1))} ms`,
    );
  }
  const ratio = (a, b) => median(a.map((x, i) => x / b[i]));
  const verdict = (x, t) => `${fmt(x)}  (target ≤ ${t})  ${x <= t ? "PASS" : "MISS"}`;
  console.log("\nratio (median of per-round p50 ratios)");
  console.log(`  namespace / env.OBJECTS request   ${verdict(ratio(r.ns, r.objects), TARGETS.nsVsObjects)}`);
  console.log(`  namespace / plain workerd request ${fmt(ratio(r.ns, r.plain))}  (reference, no target)`);
  console.log(`  socket round trip host / plain    ${verdict(ratio(r.wsHost, r.wsPlain), TARGETS.socketVsPlain)}`);
}

async function main() {
  const { mf, hostUrl, plainUrl } = await start();
  try {
    await deployApp(hostUrl);
    const ns = new URL("/apps/bench/", hostUrl).toString();
    const plain = new URL("/", plainUrl).toString();
    await requestsAndSockets(ns, new URL("/apps/bench/objects", hostUrl).toString(), plain);
    const a = await alarms(ns, "host");
    const b = await alarms(plain, "plain");
    console.log(`\nalarms, ${ALARMS} objects, ${ALARM_AHEAD_MS} ms ahead: scheduled-to-fired delay`);
    console.log(`  host   p50 ${fmt(a.p50, 0)} ms  p99 ${fmt(a.p99, 0)} ms`);
    console.log(`  plain  p50 ${fmt(b.p50, 0)} ms  p99 ${fmt(b.p99, 0)} ms`);
  } finally {
    await mf.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
