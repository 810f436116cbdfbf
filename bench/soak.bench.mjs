// npm run bench:soak — the local target's workerd RSS over a bounded soak:
// the real host Worker uploaded to `dynamic-workers local`, then, for
// BENCH_SOAK_SECONDS per run, a loop of deploys (each a new version of one of
// ten apps, so a new loaded isolate, which workerd never evicts) and bursts of
// requests to them, all on 127.0.0.1. Two runs in the same process:
//   off  --max-workerd-rss 0: the baseline, RSS grows with every version loaded
//   on   --max-workerd-rss BENCH_SOAK_BOUND_MB (default 320): workerd is
//        restarted between requests once past it, state kept
// Prints RSS at start, peak and end of each run (sampled every 250 ms), the
// restarts, and every request's outcome; target: every request answered 200
// in both runs, and the bounded run's peak within the bound plus one
// sampling interval's growth.
import Cloudflare from "cloudflare";
import { dist } from "./lib/host-worker.mjs";

const SECONDS = Number(process.env.BENCH_SOAK_SECONDS ?? 60);
const BOUND_MB = Number(process.env.BENCH_SOAK_BOUND_MB ?? 320);
const BURST = Number(process.env.BENCH_SOAK_BURST ?? 16);
const TOKEN = "soak-control-token-0123456789abcdef";
const MiB = 1024 * 1024;

async function uploadHost(target) {
  const { buildUploadForm, UPLOAD_REQUEST_OPTIONS } = await dist("cloudflare/upload-form.js");
  const { HOST_COMPATIBILITY_DATE, HOST_COMPATIBILITY_FLAGS, HOST_DURABLE_OBJECTS, hostBundle } =
    await dist("cloudflare/host-script.js");
  const cf = new Cloudflare({ apiToken: "soak", baseURL: target.apiBaseUrl, maxRetries: 0 });
  const form = buildUploadForm(
    {
      main_module: "host.js",
      compatibility_date: HOST_COMPATIBILITY_DATE,
      compatibility_flags: HOST_COMPATIBILITY_FLAGS,
      bindings: [
        { type: "worker_loader", name: "LOADER" },
        ...Object.entries(HOST_DURABLE_OBJECTS).map(([name, class_name]) => ({
          type: "durable_object_namespace",
          name,
          class_name,
        })),
        { type: "secret_text", name: "CONTROL_TOKEN", text: TOKEN },
        { type: "json", name: "PLATFORM_CONFIG", json: { cacheTtlSeconds: 0 } },
      ],
      migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: Object.values(HOST_DURABLE_OBJECTS) }] },
    },
    [{ name: "host.js", kind: "esm", content: hostBundle().code }],
  );
  await cf.workers.scripts.update(
    "host",
    { account_id: "soak", metadata: form.metadata, files: form.files },
    UPLOAD_REQUEST_OPTIONS,
  );
}

/** An app version that differs from every other (so it loads a new isolate) and counts in its object. */
const source = (i) => `
import { DurableObject } from "cloudflare:workers";
export class Tally extends DurableObject {
  add() { const n = (this.ctx.storage.kv.get("n") ?? 0) + 1; this.ctx.storage.kv.put("n", n); return n; }
}
const pad = ${JSON.stringify("x".repeat(4096))};
export default { async fetch(request, env) {
  return new Response(String(await env.OBJECTS.get("t").add()) + " v${i}");
} };`;

async function run(label, maxWorkerdRssMb) {
  const { startLocalTarget } = await dist("local/index.js");
  const { workerdRssBytes } = await dist("local/rss.js");
  const { ControlClient } = await dist("control-client/client.js");
  const { mkdtempSync, rmSync } = await import("node:fs");
  const { tmpdir } = await import("node:os");
  const { join } = await import("node:path");
  const state = mkdtempSync(join(tmpdir(), "dw-soak-"));
  const target = await startLocalTarget({ port: 0, state, quiet: true, maxWorkerdRssMb, log: () => {} });
  const rss = { start: 0, peak: 0, end: 0 };
  const counts = { deploys: 0, requests: 0, ok: 0, failed: 0 };
  const failures = new Map();
  try {
    await uploadHost(target);
    const base = `${target.url}/_scripts/host`;
    const control = new ControlClient({ url: base, token: TOKEN });
    rss.start = workerdRssBytes() ?? 0;
    const sampler = setInterval(() => {
      rss.peak = Math.max(rss.peak, workerdRssBytes() ?? 0);
    }, 250);
    const until = Date.now() + SECONDS * 1000;
    for (let i = 0; Date.now() < until; i++) {
      const app = `soak-${i % 10}`;
      await control.rollOut(app, {
        mainModule: "index.js",
        modules: { "index.js": { type: "js", content: source(i) } },
        compatibilityDate: "2026-07-01",
        durableObject: "Tally",
      });
      counts.deploys++;
      const answers = await Promise.all(
        Array.from({ length: BURST }, () =>
          fetch(`${base}/apps/${app}/`).then(
            async (r) => ({ status: r.status, text: await r.text() }),
            (e) => ({ status: 0, text: e.message }),
          ),
        ),
      );
      for (const a of answers) {
        counts.requests++;
        if (a.status === 200 && a.text.endsWith(` v${i}`)) counts.ok++;
        else {
          counts.failed++;
          const key = `${a.status} ${a.text.slice(0, 80)}`;
          failures.set(key, (failures.get(key) ?? 0) + 1);
        }
      }
    }
    clearInterval(sampler);
    rss.end = workerdRssBytes() ?? 0;
    rss.peak = Math.max(rss.peak, rss.end);
    return { label, rss, counts, failures, recycles: target.recycles() };
  } finally {
    await target.close();
    rmSync(state, { recursive: true, force: true });
  }
}

const mb = (b) => `${(b / MiB).toFixed(0)} MiB`;

console.log(`soak: ${SECONDS} s per run, deploys of 10 apps in turn, ${BURST} requests after each, 127.0.0.1`);
const off = await run("off", 0);
const on = await run(`on (${BOUND_MB} MiB)`, BOUND_MB);
for (const r of [off, on]) {
  console.log(
    `${r.label.padEnd(14)} RSS start ${mb(r.rss.start).padStart(8)}  peak ${mb(r.rss.peak).padStart(8)}  end ${mb(r.rss.end).padStart(8)}  ` +
      `restarts ${String(r.recycles).padStart(3)}  deploys ${r.counts.deploys}  requests ${r.counts.requests}, answered ${r.counts.ok}, failed ${r.counts.failed}`,
  );
  for (const [why, n] of r.failures) console.log(`  ${n} × ${why}`);
}
console.log(
  `peak RSS on/off: ${(on.rss.peak / off.rss.peak).toFixed(2)}; end RSS on/off: ${(on.rss.end / off.rss.end).toFixed(2)}; ` +
    `growth per deploy off: ${((off.rss.end - off.rss.start) / MiB / Math.max(1, off.counts.deploys)).toFixed(2)} MiB`,
);
const answered = off.counts.failed === 0 && on.counts.failed === 0;
console.log(`target: every request answered in both runs: ${answered ? "met" : "NOT met"}`);
console.log(
  `target: bounded run's peak under the bound plus sampling slack (${BOUND_MB + 64} MiB): ${on.rss.peak <= (BOUND_MB + 64) * MiB ? "met" : "NOT met"}`,
);
