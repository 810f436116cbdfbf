// Static assets served by the real host Worker on workerd, side by side
// with the same folder served by Workers Static Assets itself (miniflare's
// `assets`, Cloudflare's own asset worker): the same requests must get the
// same status, Location, Content-Type and body, for every html_handling and
// not_found_handling.
import { createHash } from "node:crypto";
import { rmSync } from "node:fs";
import { Miniflare } from "miniflare";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rollOutWithAssets, writeFiles } from "../helpers/assets.js";
import { jsApp, startHost, tempDir, type TestHost } from "../helpers/host.js";
import { HTML_HANDLING, NOT_FOUND_HANDLING } from "../../provider/shared/schema/index.js";

const FILES = {
  "index.html": "<h1>home</h1>",
  "about.html": "<h1>about</h1>",
  "blog/index.html": "<h1>blog</h1>",
  "blog/post.html": "<h1>post</h1>",
  "blog/404.html": "<h1>blog 404</h1>",
  "404.html": "<h1>404</h1>",
  "docs/index/index.html": "<h1>docs index folder</h1>",
  "style.css": "body { color: red }",
  "data.json": '{"a":1}',
  "a b.txt": "spaced",
  noext: "no extension",
  ".assetsignore": "secret.txt\n",
  "secret.txt": "never served",
  _headers: "/*\n  X-Test: 1\n",
};

const PATHS = [
  "/",
  "/index",
  "/index.html",
  "/about",
  "/about/",
  "/about.html",
  "/blog",
  "/blog/",
  "/blog/index",
  "/blog/index.html",
  "/blog/post",
  "/blog/post/",
  "/blog/post.html",
  "/blog/missing",
  "/docs/index",
  "/docs/index/",
  "/style.css",
  "/data.json",
  "/a%20b.txt",
  "/noext",
  "/secret.txt",
  "/_headers",
  "/.assetsignore",
  "/nope",
  "/deep/er/nope",
  "//about",
  "/blog%2Fpost.html",
];

const WORKER = `export default { fetch(request) { return new Response("worker " + new URL(request.url).pathname, { status: 299 }); } };`;
const DATE = "2026-07-01";

type Seen = { status: number; location: string | null; type: string | null; body: string; etag: boolean };

async function seen(res: Response, prefix = ""): Promise<Seen> {
  const location = res.headers.get("location");
  return {
    status: res.status,
    location: location && prefix && location.startsWith(prefix) ? location.slice(prefix.length) : location,
    type: res.headers.get("content-type"),
    body: await res.text(),
    etag: res.headers.has("etag"),
  };
}

const configs = HTML_HANDLING.flatMap((h) => NOT_FOUND_HANDLING.map((n) => ({ htmlHandling: h, notFoundHandling: n })));
const appName = (i: number) => `site-${i}`;

/** One plain Worker with Workers Static Assets (miniflare routes a multi-worker setup past the asset router). */
async function plainWorker(dir: string, c: (typeof configs)[number]): Promise<Miniflare> {
  const mf = new Miniflare({
    modules: true,
    script: WORKER,
    compatibilityDate: DATE,
    assets: {
      directory: dir,
      routerConfig: { has_user_worker: true },
      assetConfig: { html_handling: c.htmlHandling, not_found_handling: c.notFoundHandling },
    },
    host: "127.0.0.1",
    port: 0,
  });
  await mf.ready;
  return mf;
}

describe("static assets, beside Workers Static Assets", () => {
  let host: TestHost;
  const dir = tempDir("dw-assets-");
  beforeAll(async () => {
    writeFiles(dir.path, FILES);
    host = await startHost();
    for (const [i, c] of configs.entries())
      await rollOutWithAssets(host.control, appName(i), jsApp(WORKER), dir.path, c);
  }, 120_000);
  afterAll(async () => {
    await host?.dispose();
    dir.remove();
  });

  for (const [i, c] of configs.entries()) {
    it(`${c.htmlHandling} / ${c.notFoundHandling}: every path as Cloudflare answers it`, async () => {
      const baseline = await plainWorker(dir.path, c);
      try {
        await compareAll(baseline, i);
      } finally {
        await baseline.dispose();
      }
    });
  }

  async function compareAll(baseline: Miniflare, i: number): Promise<void> {
    for (const path of PATHS) {
      for (const headers of [{}, { "sec-fetch-mode": "navigate" }] as Record<string, string>[]) {
        const ours = await seen(
          await host.fetch(`/apps/${appName(i)}${path}`, { headers, redirect: "manual" }),
          `/apps/${appName(i)}`,
        );
        const theirs = await seen(
          (await baseline.dispatchFetch(`http://${appName(i)}.test${path}`, { headers, redirect: "manual" })) as never,
        );
        expect({ path, headers, ...ours }).toEqual({ path, headers, ...theirs });
      }
    }
  }

  it("answers If-None-Match with 304, HEAD with no body, other methods on an asset with 405", async () => {
    const first = await host.fetch(`/apps/${appName(0)}/style.css`);
    const etag = first.headers.get("etag")!;
    expect(etag).toMatch(/^"[0-9a-f]{64}"$/);
    expect(first.headers.get("content-type")).toBe("text/css; charset=utf-8");
    expect(first.headers.get("cache-control")).toBe("public, max-age=0, must-revalidate");
    for (const tag of [etag, `W/${etag}`]) {
      const again = await host.fetch(`/apps/${appName(0)}/style.css`, { headers: { "if-none-match": tag } });
      expect(again.status).toBe(304);
      expect(again.headers.get("etag")).toBe(etag);
      expect(await again.text()).toBe("");
    }
    const head = await host.fetch(`/apps/${appName(0)}/style.css`, { method: "HEAD" });
    expect([head.status, await head.text(), head.headers.get("etag")]).toEqual([200, "", etag]);
    const post = await host.fetch(`/apps/${appName(0)}/style.css`, { method: "POST", body: "x" });
    const baseline = await plainWorker(dir.path, configs[0]!);
    try {
      const theirs = await baseline.dispatchFetch("http://site.test/style.css", { method: "POST", body: "x" });
      expect(post.status).toBe(theirs.status);
    } finally {
      await baseline.dispose();
    }
    // A POST to a path with no asset reaches the app's code.
    expect((await host.fetch(`/apps/${appName(0)}/api`, { method: "POST", body: "x" })).status).toBe(299);
  });

  it("keeps each version's assets: a rollback serves the old files again", async () => {
    const v2 = tempDir("dw-assets-v2-");
    try {
      writeFiles(v2.path, { ...FILES, "style.css": "body { color: blue }" });
      rmSync(`${v2.path}/about.html`);
      const r = await rollOutWithAssets(host.control, appName(0), jsApp(WORKER), v2.path, configs[0]);
      // Only the changed file is new to the host.
      expect(r.upload.files).toBe(1);
      expect(await (await host.fetch(`/apps/${appName(0)}/style.css`)).text()).toBe("body { color: blue }");
      expect((await host.fetch(`/apps/${appName(0)}/about`)).status).toBe(299);
      await host.control.rollback(appName(0));
      expect(await (await host.fetch(`/apps/${appName(0)}/style.css`)).text()).toBe("body { color: red }");
      expect(await (await host.fetch(`/apps/${appName(0)}/about`)).text()).toBe("<h1>about</h1>");
    } finally {
      v2.remove();
    }
  });
});

describe("static assets' storage", () => {
  it("takes files larger than one JSON upload (the control API's 4 MiB cap) in raw pieces, and serves them whole", async () => {
    const host = await startHost();
    const dir = tempDir("dw-big-asset-");
    try {
      const big = new Uint8Array(9 * 1024 * 1024 + 7).map((_, i) => (i * 31) % 251);
      const small = new Uint8Array(1_500_000).fill(7);
      writeFiles(dir.path, { "big.bin": big, "small-1.bin": small, "small-2.bin": small.map((b) => b + 1) });
      const r = await rollOutWithAssets(host.control, "big", jsApp(WORKER), dir.path);
      expect(r.upload.files).toBe(3);
      const got = new Uint8Array(await (await host.fetch("/apps/big/big.bin")).arrayBuffer());
      expect(got.byteLength).toBe(big.byteLength);
      expect(createHash("sha256").update(got).digest("hex")).toBe(createHash("sha256").update(big).digest("hex"));
      expect((await (await host.fetch("/apps/big/small-2.bin")).arrayBuffer()).byteLength).toBe(small.byteLength);
    } finally {
      dir.remove();
      await host.dispose();
    }
  });

  it("drops a content once no kept version serves it, and keeps the ones a kept version still serves", async () => {
    const host = await startHost({ config: { versionsKept: 2 } });
    const dirs = [tempDir("dw-gc-1-"), tempDir("dw-gc-2-"), tempDir("dw-gc-3-")];
    try {
      writeFiles(dirs[0]!.path, { "a.txt": "first", "keep.txt": "kept" });
      writeFiles(dirs[1]!.path, { "a.txt": "second", "keep.txt": "kept" });
      writeFiles(dirs[2]!.path, { "a.txt": "third", "keep.txt": "kept" });
      const sha = (s: string) => createHash("sha256").update(s).digest("hex");
      const missing = async () =>
        (
          await host.control.call("missingAssets", {
            params: { app: "gc" },
            body: { hashes: ["first", "second", "third", "kept"].map(sha) },
          })
        ).missing;
      for (const d of dirs) await rollOutWithAssets(host.control, "gc", jsApp(WORKER), d.path);
      // versionsKept 2: the third (current) and the second stay; the first went, and its own content with it.
      expect(await missing()).toEqual([sha("first")]);
      expect(await (await host.fetch("/apps/gc/a.txt")).text()).toBe("third");
    } finally {
      for (const d of dirs) d.remove();
      await host.dispose();
    }
  });
});
