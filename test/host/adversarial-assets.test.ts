// Static assets against a hostile app and bad uploads, on the real host in
// workerd: an app's ASSETS binding serves only its own version's files,
// whatever URL, encoding or Host it is handed; the host refuses contents
// that do not match their digest, versions whose files it lacks, and
// versions over maxAssetBytes.
import { createHash } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { rollOutWithAssets, writeFiles } from "../helpers/assets.js";
import { jsApp, refusal, startHost, tempDir, type TestHost } from "../helpers/host.js";
import { prepareVersion } from "../../provider/control-client/client.js";

const SECRET = "OTHER-APP-SECRET-1f3a";

/** Fetches through its ASSETS binding whatever URL and headers it is told to. */
const PROBE = `export default {
  async fetch(request, env) {
    const u = new URL(request.url);
    if (u.pathname !== "/probe") return env.ASSETS.fetch(request);
    try {
      const r = await env.ASSETS.fetch(new Request(u.searchParams.get("u"), { headers: JSON.parse(u.searchParams.get("h") || "{}") }));
      return Response.json({ status: r.status, body: await r.text(), location: r.headers.get("location") });
    } catch (e) {
      return Response.json({ error: String(e) });
    }
  },
};`;

const ATTACKS = [
  "http://x/apps/other/secret.txt",
  "http://other.apps.test/secret.txt",
  "http://x/../other/secret.txt",
  "http://x/%2e%2e/other/secret.txt",
  "http://x/..%2fother%2fsecret.txt",
  "http://x/%2Fapps%2Fother%2Fsecret.txt",
  "http://x//other/secret.txt",
  "http://x/secret.txt",
  "http://x/_control/v1/apps",
  "http://x/apps/other/",
  "https://other.apps.test/../../secret.txt",
];

describe("static assets against a hostile app", () => {
  let host: TestHost;
  const site = tempDir("dw-assets-site-");
  const other = tempDir("dw-assets-other-");
  beforeAll(async () => {
    host = await startHost({ config: { appsDomain: "apps.test" } });
    writeFiles(other.path, { "secret.txt": SECRET, "index.html": SECRET });
    writeFiles(site.path, {
      "index.html": "<h1>site</h1>",
      "api/docs/a.txt": "docs",
      "api/x.txt": "api file",
    });
    await rollOutWithAssets(host.control, "other", jsApp(PROBE), other.path, { binding: "ASSETS" });
    await rollOutWithAssets(host.control, "site", jsApp(PROBE), site.path, {
      binding: "ASSETS",
      runWorkerFirst: ["/api/*", "!/api/docs/*"],
    });
  }, 60_000);
  afterAll(async () => {
    await host?.dispose();
    site.remove();
    other.remove();
  });

  it("serves another app's files to no URL, encoding or Host header", async () => {
    for (const u of ATTACKS) {
      for (const h of [{}, { host: "other.apps.test" }, { "x-forwarded-host": "other.apps.test" }]) {
        const q = new URLSearchParams({ u, h: JSON.stringify(h) });
        const res = await host.fetch(`/apps/site/probe?${q}`);
        const text = await res.text();
        expect(text, `${u} ${JSON.stringify(h)}`).not.toContain(SECRET);
        const got = JSON.parse(text) as { status?: number };
        if (got.status !== undefined) expect([200, 307, 404], u).toContain(got.status);
      }
    }
    // The binding does serve the app's own files.
    const own = await host.fetch(`/apps/site/probe?${new URLSearchParams({ u: "http://x/" })}`);
    expect(await own.json()).toMatchObject({ status: 200, body: "<h1>site</h1>" });
  });

  it("serves the app's own files through the binding when the router sends the request to the code first", async () => {
    // run_worker_first ["/api/*", "!/api/docs/*"]: /api/x.txt runs the code, which answers from ASSETS.
    const viaCode = await host.fetch("/apps/site/api/x.txt");
    expect([viaCode.status, await viaCode.text()]).toEqual([200, "api file"]);
    const direct = await host.fetch("/apps/site/api/docs/a.txt");
    expect([direct.status, await direct.text()]).toEqual([200, "docs"]);
    // Sent to assets by a '!' pattern, a missing file is a 404 from assets, not the code.
    expect((await host.fetch("/apps/site/api/docs/missing")).status).toBe(404);
  });

  it("refuses a content that does not hash to its digest, and stores nothing", async () => {
    const sha = createHash("sha256").update("real").digest("hex");
    const e = await refusal(
      host.control.call("putAssets", {
        params: { app: "site" },
        body: { files: { [sha]: Buffer.from("forged").toString("base64") } },
      }),
    );
    expect([e.status, e.code]).toEqual([400, "invalid_request"]);
    expect(e.message).toContain("does not hash to this sha256");
    const { missing } = await host.control.call("missingAssets", { params: { app: "site" }, body: { hashes: [sha] } });
    expect(missing).toEqual([sha]);
  });

  it("refuses a version whose asset contents were never uploaded", async () => {
    const sha = createHash("sha256").update("never sent").digest("hex");
    const prepared = await prepareVersion({
      ...jsApp(PROBE),
      assets: { files: { "/ghost.txt": { sha256: sha, size: 10, contentType: null } } },
    });
    const e = await refusal(host.control.putVersion("site", prepared));
    expect(e.code).toBe("invalid_request");
    expect(e.message).toContain('assets.files["/ghost.txt"]');
  });

  it("refuses a version over the app's maxAssetBytes, naming the app, files, bytes and limit; the current version stays", async () => {
    const before = (await host.control.getApp("site"))!.currentVersion;
    const big = tempDir("dw-assets-big-");
    try {
      writeFiles(big.path, { "a.bin": new Uint8Array(3000), "b.bin": new Uint8Array(2000) });
      const e = await refusal(
        rollOutWithAssets(
          host.control,
          "site",
          jsApp(PROBE),
          big.path,
          { binding: "ASSETS" },
          { quota: { maxAssetBytes: 4000 } },
        ),
      );
      expect(e.code).toBe("limit_exceeded");
      expect(e.message).toContain("app 'site': 2 asset files of 5.0 KB are over its quota maxAssetBytes = 4.0 KB");
      expect((await host.control.getApp("site"))!.currentVersion).toBe(before);
    } finally {
      big.remove();
      await host.control.putApp("site", {});
    }
  });

  it("refuses an assets binding that takes another binding's name", async () => {
    const spec = { ...jsApp(PROBE, { env: { ASSETS: "x" } }), assets: { binding: "ASSETS", files: {} } };
    // The client refuses it before sending; the host refuses it when sent anyway.
    await expect(prepareVersion(spec)).rejects.toThrow("assets.binding: 'ASSETS' is also an env var");
    const e = await refusal(host.control.call("putVersion", { params: { app: "site" }, body: spec }));
    expect([e.code, e.message]).toEqual([
      "invalid_request",
      expect.stringContaining("assets.binding: 'ASSETS' is also an env var"),
    ]);
  });
});
