// npm run bench:preview-slots — time from `dynamic-workers preview deploy` to the preview URLs answering
// (issue 18, the preview part of bench:rollout), on the built dist/.
//
// One workerd (one Miniflare) runs the host (dist/host.js) on a direct 127.0.0.1 socket. For 1 and for
// PREVIEW_APPS (50) changed app folders (app.json + index.js, each distinct), a round runs the real binary
// (bin/dynamic-workers.mjs preview deploy --id …, which bundles each folder with esbuild and puts it in its
// slot with the preview token), then polls every slot's URL (the path form, /apps/<app>--<id>/) until each
// answers 200 with its own body. Timed: spawn to the last slot answering. The baseline, in the same run, is
// the 1-app case: the per-app ratio is (T(N)/N) / T(1). Between rounds the previews are deleted.
// Knobs: PREVIEW_APPS (50), BENCH_ROUNDS (3; figures are medians).
import { spawn } from "node:child_process";
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";
import { Miniflare } from "miniflare";
import { fmt, median } from "./lib/figures.mjs";
import { TOKEN, dist, hostWorker } from "./lib/host-worker.mjs";

const N = Number(process.env.PREVIEW_APPS ?? 50);
const ROUNDS = Number(process.env.BENCH_ROUNDS ?? 3);
const BIN = join(dirname(fileURLToPath(import.meta.url)), "..", "bin", "dynamic-workers.mjs");

/** `count` app folders under a new temp folder, each answering its own name and the round's tag. */
function appsDir(count, tag) {
  const dir = mkdtempSync(join(tmpdir(), "dw-bench-previews-"));
  for (let i = 0; i < count; i++) {
    const app = join(dir, `app-${i}`);
    mkdirSync(app);
    writeFileSync(join(app, "app.json"), JSON.stringify({ quota: { requestsPerMinute: 6000 } }));
    writeFileSync(
      join(app, "index.js"),
      `export default { fetch() { return new Response(${JSON.stringify(`app-${i} ${tag}`)}); } };\n`,
    );
  }
  return dir;
}

function run(args, env) {
  return new Promise((ok, fail) => {
    const child = spawn(process.execPath, [BIN, ...args], { env: { ...process.env, ...env }, stdio: "pipe" });
    let out = "";
    let err = "";
    child.stdout.on("data", (d) => (out += d));
    child.stderr.on("data", (d) => (err += d));
    child.on("error", fail);
    child.on("exit", (code) => (code === 0 ? ok(out) : fail(new Error(`exit ${code}: ${err.slice(-2000)}`))));
  });
}

async function answers(url, body) {
  for (let i = 0; i < 2000; i++) {
    try {
      const r = await fetch(url);
      if (r.status === 200 && (await r.text()) === body) return;
    } catch {
      // not up yet
    }
    await new Promise((r) => setTimeout(r, 5));
  }
  throw new Error(`${url} never answered '${body}'`);
}

/** One round: seconds from spawn to every slot answering. */
async function round(count, id, env) {
  const dir = appsDir(count, id);
  try {
    const t0 = performance.now();
    const report = JSON.parse(await run(["preview", "deploy", "--id", id, "--dir", dir, "--json"], env));
    if (report.slots.length !== count) throw new Error(`deployed ${report.slots.length} of ${count} slots`);
    await Promise.all(report.slots.map((s) => answers(s.pathUrl, `${s.app} ${id}`)));
    return (performance.now() - t0) / 1000;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function main() {
  process.env.BENCH_PLATFORM_CONFIG = JSON.stringify({ previews: { maxSlots: N + 10 }, cacheTtlSeconds: 0 });
  const { options } = await hostWorker();
  const mf = new Miniflare({ workers: [options], cf: { colo: "LOCAL", country: "XX" } });
  try {
    await mf.ready;
    const url = (await mf.unsafeGetDirectURL("host")).href;
    const { derivePreviewToken } = await dist("shared/schema/previews.js");
    const env = { DYNAMIC_WORKERS_CONTROL_URL: url, DYNAMIC_WORKERS_PREVIEW_TOKEN: await derivePreviewToken(TOKEN) };
    const times = { 1: [], [N]: [] };
    await round(1, "warm", env); // esbuild and workerd warmed, not timed
    await run(["preview", "delete", "--id", "warm"], env);
    for (let r = 0; r < ROUNDS; r++) {
      for (const count of [1, N]) {
        const id = `b${count}-r${r}`;
        times[count].push(await round(count, id, env));
        await run(["preview", "delete", "--id", id], env);
      }
    }
    const one = median(times[1]);
    const many = median(times[N]);
    console.log(`preview deploy → URL answering, medians of ${ROUNDS} rounds (real binary, bundling included):`);
    console.log(`  1 app:   ${fmt(one)} s   (rounds: ${times[1].map((t) => fmt(t)).join(", ")})`);
    console.log(`  ${N} apps: ${fmt(many)} s   (rounds: ${times[N].map((t) => fmt(t)).join(", ")})`);
    console.log(
      `  per app at ${N}: ${fmt((many / N) * 1000, 0)} ms; ratio (T(${N})/${N}) / T(1) = ${fmt(many / N / one)}`,
    );
    console.log(`  ratio T(${N}) / T(1) = ${fmt(many / one)}`);
  } finally {
    await mf.dispose();
  }
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
