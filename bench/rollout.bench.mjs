// npm run bench:rollout — what a gradual rollout costs a request, on the built dist/.
//
// Part "request overhead under a rollout": one host (dist/host.js) serves two
// apps with the same code, `steady` (one version) and `rolling` (its stable
// version and a candidate at 50 %, so both versions' isolates are warm and
// every request is split). Measured in the same run, interleaved round by
// round: the p50 of a stateless request, and of a request into an object
// (pinned by name), for each app; the ratio is rolling / steady (target ≤
// 1.05 × p50). Other parts of bench:rollout (previews) are not here yet.
// Knobs: ROLLOUT_ROUNDS (5), ROLLOUT_REQUESTS (300 per round, app and kind).
// A missed target is reported, never fatal; only errors exit non-zero.
import { Miniflare } from "miniflare";
import { fmt, median } from "./lib/figures.mjs";
import { TOKEN, dist, hostWorker } from "./lib/host-worker.mjs";

const ROUNDS = Number(process.env.ROLLOUT_ROUNDS ?? 5);
const REQUESTS = Number(process.env.ROLLOUT_REQUESTS ?? 300);
const TARGET = 1.05;
const DATE = "2026-07-01";

const APP = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  fetch() { const n = (this.ctx.storage.kv.get("n") ?? 0) + 1; this.ctx.storage.kv.put("n", n); return new Response(this.env.V + n); }
}
export default { fetch(request, env) {
  const url = new URL(request.url);
  if (url.pathname.startsWith("/object/")) return env.COUNTER.getByName(url.pathname.slice(8)).fetch(request);
  return new Response("hello " + env.V);
} };`;

const spec = (v) => ({
  mainModule: "index.js",
  modules: { "index.js": { type: "js", content: APP } },
  compatibilityDate: DATE,
  durableObjects: { COUNTER: "Counter" },
  env: { V: v },
});

async function timed(url) {
  const t0 = performance.now();
  const res = await fetch(url);
  const body = await res.text();
  if (res.status !== 200) throw new Error(`GET ${url}: ${res.status} ${body.slice(0, 200)}`);
  return performance.now() - t0;
}

async function round(urls, n) {
  const out = [];
  for (let i = 0; i < n; i++) out.push(await timed(urls[i % urls.length]));
  return median(out);
}

async function main() {
  const { options: host } = await hostWorker();
  host.bindings.PLATFORM_CONFIG = { cacheTtlSeconds: 60 };
  const mf = new Miniflare({ host: "127.0.0.1", port: 0, durableObjectsPersist: false, workers: [host] });
  try {
    await mf.ready;
    const hostUrl = await mf.unsafeGetDirectURL("host");
    const { ControlClient, prepareVersion } = await dist("control-client/client.js");
    const control = new ControlClient({ url: hostUrl.toString(), token: TOKEN });
    const settings = { quota: { requestsPerMinute: 10_000_000 } };
    await control.rollOut("steady", spec("A"), settings);
    const stable = await control.rollOut("rolling", spec("A"), settings);
    const candidate = await prepareVersion(spec("B"));
    await control.putVersion("rolling", candidate);
    await control.rollout("rolling", {
      versionHash: candidate.versionHash,
      percent: 50,
      expectedStable: stable.versionHash,
    });
    // Ten objects each, so both versions' objects are in the rolling app's mix.
    const urls = (app, kind) =>
      kind === "stateless"
        ? [new URL(`/apps/${app}/`, hostUrl).toString()]
        : Array.from({ length: 10 }, (_, i) => new URL(`/apps/${app}/object/o${i}`, hostUrl).toString());
    const kinds = ["stateless", "object"];
    for (const app of ["steady", "rolling"]) for (const k of kinds) await round(urls(app, k), 100);
    const r = { steady: { stateless: [], object: [] }, rolling: { stateless: [], object: [] } };
    for (let i = 0; i < ROUNDS; i++) {
      for (const k of kinds) {
        r.steady[k].push(await round(urls("steady", k), REQUESTS));
        r.rolling[k].push(await round(urls("rolling", k), REQUESTS));
      }
      console.log(
        `  round ${i + 1}: p50 stateless steady ${fmt(r.steady.stateless.at(-1))} ms, rolling ${fmt(r.rolling.stateless.at(-1))} ms; object steady ${fmt(r.steady.object.at(-1))} ms, rolling ${fmt(r.rolling.object.at(-1))} ms`,
      );
    }
    const ratio = (a, b) => median(a.map((x, j) => x / b[j]));
    const verdict = (x) => `${fmt(x)}  (target ≤ ${TARGET})  ${x <= TARGET ? "PASS" : "MISS"}`;
    const info = await control.getApp("rolling");
    console.log(
      `\nrequest overhead under a rollout (rolling app at ${info.rollout.percent} % / steady app), median of per-round p50 ratios`,
    );
    console.log(`  stateless request  ${verdict(ratio(r.rolling.stateless, r.steady.stateless))}`);
    console.log(`  object request     ${verdict(ratio(r.rolling.object, r.steady.object))}`);
  } finally {
    await mf.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
