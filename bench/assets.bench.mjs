// bench:assets: static assets, two questions.
// 1. Serving: p50 of a 10 KB asset through the host (router → the app's
//    asset table → host storage, cached per isolate) against the same file
//    from a plain Worker with Workers Static Assets (miniflare's `assets`,
//    Cloudflare's own asset worker) on the same workerd, measured in the same
//    run, interleaved in blocks. Target: ratio <= 1.3.
// 2. Deploying: an app with 1,000 asset files through the provider's upload
//    path (missing digests asked, contents sent in bounded batches, version,
//    deploy); then one file changed: bytes sent and time, and the host's own
//    count of what it received.
// Needs `npm run build` first (the npm script runs it).
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { TOKEN, dist, hostWorker } from "./lib/host-worker.mjs";
import { fmt, percentiles } from "./lib/figures.mjs";

const { ControlClient, prepareVersion } = await dist("control-client/client.js");
const { uploadAssets } = await dist("control-client/asset-upload.js");
const { readAssetFolder } = await dist("bundle/assets.js");

const REQUESTS = Number(process.env.BENCH_REQUESTS ?? 3000);
const BLOCK = 250;
const FILES = Number(process.env.BENCH_FILES ?? 1000);
const WORKER = `export default { fetch() { return new Response("worker", { status: 404 }); } };`;
const DATE = "2026-07-01";

const work = mkdtempSync(join(tmpdir(), "dw-bench-assets-"));
const site = join(work, "site");
mkdirSync(site);
// 10 KB of text that does not compress to nothing.
let text = "";
for (let i = 0; text.length < 10_240; i++) text += `${i.toString(36)} lorem ipsum dolor sit amet\n`;
writeFileSync(join(site, "page.txt"), text.slice(0, 10_240));

async function deploy(control, app, dir) {
  const t0 = performance.now();
  const folder = readAssetFolder(dir, "assets.directory");
  const { app: info } = await control.putApp(app, {});
  const upload = await uploadAssets(control, app, folder.files, (sha) => readFileSync(folder.paths[sha]));
  const prepared = await prepareVersion({
    mainModule: "index.js",
    modules: { "index.js": { type: "js", content: WORKER } },
    compatibilityDate: DATE,
    assets: { files: folder.files },
  });
  await control.putVersion(app, prepared);
  await control.deploy(app, prepared.versionHash, info.currentVersion);
  return { ms: performance.now() - t0, upload };
}

async function timeBlock(url, n, into) {
  for (let i = 0; i < n; i++) {
    const t0 = performance.now();
    const res = await fetch(url);
    const body = await res.arrayBuffer();
    into.push(performance.now() - t0);
    if (res.status !== 200 || body.byteLength !== 10_240)
      throw new Error(`${url}: ${res.status}, ${body.byteLength} bytes`);
  }
}

const { options } = await hostWorker();
const host = new Miniflare({ workers: [{ ...options, unsafeDirectSockets: undefined }], host: "127.0.0.1", port: 0 });
const plain = new Miniflare({
  modules: true,
  script: WORKER,
  compatibilityDate: DATE,
  assets: { directory: site, routerConfig: { has_user_worker: true } },
  host: "127.0.0.1",
  port: 0,
});
try {
  const hostUrl = await host.ready;
  const plainUrl = await plain.ready;
  const control = new ControlClient({ url: hostUrl.toString(), token: TOKEN });
  await deploy(control, "bench", site);

  const ours = [];
  const theirs = [];
  const hostPage = new URL("/apps/bench/page.txt", hostUrl).href;
  const plainPage = new URL("/page.txt", plainUrl).href;
  await timeBlock(hostPage, 200, []);
  await timeBlock(plainPage, 200, []);
  for (let done = 0; done < REQUESTS; done += BLOCK) {
    await timeBlock(hostPage, BLOCK, ours);
    await timeBlock(plainPage, BLOCK, theirs);
  }
  const [o50, o99] = percentiles(ours, [50, 99]);
  const [t50, t99] = percentiles(theirs, [50, 99]);
  console.log(`serving a 10 KB asset, ${REQUESTS} sequential requests each, interleaved in blocks of ${BLOCK}:`);
  console.log(`  host (app assets)          p50 ${fmt(o50, 3)} ms   p99 ${fmt(o99, 3)} ms`);
  console.log(`  plain Worker static assets p50 ${fmt(t50, 3)} ms   p99 ${fmt(t99, 3)} ms`);
  console.log(`  ratio p50 ${fmt(o50 / t50)}x (target <= 1.3x)`);

  const many = join(work, "many");
  mkdirSync(many);
  for (let i = 0; i < FILES; i++) writeFileSync(join(many, `f${i}.txt`), `${i} `.repeat(256 + (i % 256)));
  const first = await deploy(control, "many", many);
  writeFileSync(join(many, "f500.txt"), "changed content");
  const second = await deploy(control, "many", many);
  const counted = (await control.call("putAssets", { params: { app: "many" }, body: { files: {} } })).uploaded;
  console.log(`deploying an app with ${FILES} asset files (provider upload path, host on workerd):`);
  console.log(
    `  first deploy: ${first.upload.files} files, ${first.upload.bytes} bytes in ${first.upload.requests} requests, ${fmt(first.ms, 0)} ms`,
  );
  console.log(
    `  one file changed: ${second.upload.files} file, ${second.upload.bytes} bytes in ${second.upload.requests} request, ${fmt(second.ms, 0)} ms`,
  );
  console.log(`  the host counted ${counted.files} files, ${counted.bytes} bytes received in all`);
} finally {
  await host.dispose();
  await plain.dispose();
  rmSync(work, { recursive: true, force: true });
}
