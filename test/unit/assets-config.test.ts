// Static assets as an App declares them, before anything is deployed: the
// folder read as Wrangler reads it, the Wrangler `assets` field under the
// App's own `assets` argument, and every bad config refused where the App
// is declared (or by its check, at preview), naming the file, the field and
// what is allowed.
import * as pulumi from "@pulumi/pulumi";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";
import { writeFiles } from "../helpers/assets.js";
import { assetContentType, readAssetFolder } from "../../provider/bundle/assets.js";
import { readWranglerConfig } from "../../provider/bundle/wrangler-config.js";
import { checkApp } from "../../provider/resources/app/check.js";

interface Made {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
const made: Made[] = [];
const cache = tempDir("dw-cache-");
process.env.DYNAMIC_WORKERS_CACHE = cache.path;
pulumi.runtime.setMocks(
  {
    newResource(args) {
      made.push({ type: args.type, name: args.name, inputs: args.inputs });
      const state = { ...args.inputs };
      if (args.type.endsWith("HostWorker"))
        Object.assign(state, { controlToken: "t", secretsKey: "k", namespaceIds: {} });
      return { id: `${args.name}-id`, state };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);
const { Platform, App, loadApps } = await import("../../provider/index.js");
const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

const WORKER = "export default { fetch(request, env) { return env.ASSETS.fetch(request); } };";
const root = tempDir("dw-assets-cfg-");
let n = 0;
function project(files: Record<string, string | Uint8Array>): string {
  const dir = join(root.path, `p${n++}`);
  mkdirSync(dir, { recursive: true });
  return writeFiles(dir, { "src/index.js": WORKER, ...files });
}
const platform = new Platform("pf", { accountId: "local", scriptName: "pf" });

afterAll(() => {
  root.remove();
  cache.remove();
});

describe("an assets folder", () => {
  it("is read as Wrangler reads it: .assetsignore, _headers and _redirects left out, types as Wrangler's", () => {
    const dir = project({
      "public/index.html": "<h1>hi</h1>",
      "public/css/site.css": "a{}",
      "public/.assetsignore": "*.map\ndrafts/\n",
      "public/app.js.map": "{}",
      "public/drafts/x.html": "draft",
      "public/_headers": "/*\n  X: 1",
      "public/_redirects": "/a /b",
      "public/blob": "?",
    });
    const folder = readAssetFolder(join(dir, "public"), "assets.directory");
    expect(Object.keys(folder.files).sort()).toEqual(["/blob", "/css/site.css", "/index.html"]);
    expect(folder.files["/index.html"]).toMatchObject({ size: 11, contentType: "text/html; charset=utf-8" });
    expect(folder.files["/blob"]!.contentType).toBeNull();
    expect(folder.warnings).toEqual([
      "_headers is not applied by this platform (it is not served either)",
      "_redirects is not applied by this platform (it is not served either)",
    ]);
    expect(assetContentType("a.json")).toBe("application/json");
    expect(assetContentType("a.svg")).toBe("image/svg+xml");
  });
});

describe("App assets", () => {
  it("takes the Wrangler file's assets, each App argument overriding its field", async () => {
    const dir = project({
      "wrangler.jsonc": `{ "main": "src/index.js", "assets": { "directory": "./public", "binding": "ASSETS", "html_handling": "drop-trailing-slash", "not_found_handling": "404-page" } }`,
      "public/index.html": "<h1>hi</h1>",
    });
    const app = new App("wa", { platform, source: dir, assets: { notFoundHandling: "single-page-application" } });
    await value(app.versionHash);
    const code = made.find((m) => m.name === "wa")!.inputs.code;
    expect(code.assets).toMatchObject({
      binding: "ASSETS",
      htmlHandling: "drop-trailing-slash",
      notFoundHandling: "single-page-application",
      runWorkerFirst: false,
      files: { "/index.html": { size: 11, contentType: "text/html; charset=utf-8" } },
    });
  });

  it("takes `assets` from a GitOps app.json, its folder relative to the app folder", async () => {
    const apps = project({});
    writeFiles(join(apps, "apps", "site"), {
      "index.js": WORKER,
      "app.json": JSON.stringify({ assets: { directory: "static", binding: "ASSETS", htmlHandling: "none" } }),
      "static/a.css": "a{}",
    });
    await value(loadApps(platform, join(apps, "apps"), { resourcePrefix: "gitops-" }).site!.versionHash);
    expect(made.find((m) => m.name === "gitops-site")!.inputs.code.assets).toMatchObject({
      binding: "ASSETS",
      htmlHandling: "none",
      files: { "/a.css": { size: 3, contentType: "text/css; charset=utf-8" } },
    });
  });

  it("changes the version hash when one file changes, and only then", async () => {
    const dir = project({ "public/a.txt": "one", "public/b.txt": "two" });
    const hash = async (name: string) =>
      value(
        new App(name, { platform, source: join(dir, "src"), assets: { directory: join(dir, "public") } }).versionHash,
      );
    const h1 = await hash("h1");
    expect(await hash("h2")).toBe(h1);
    writeFileSync(join(dir, "public/b.txt"), "three");
    expect(await hash("h3")).not.toBe(h1);
  });

  const refused = (files: Record<string, string>, assets?: object) => {
    const dir = project(files);
    try {
      new App(`bad${n}`, { platform, source: dir, ...(assets ? { assets } : {}) });
      return "accepted";
    } catch (e) {
      return (e as Error).message;
    }
  };

  it("refuses a missing directory, naming the file and field", () => {
    expect(refused({ "wrangler.jsonc": `{ "main": "src/index.js", "assets": { "directory": "./nope" } }` })).toMatch(
      /^App 'bad\d+': .*\/wrangler\.jsonc: assets\.directory: '.*\/nope' is not a folder; give the folder of files to serve as static assets$/,
    );
    expect(refused({}, { directory: "/definitely/not/here" })).toMatch(
      /^App 'bad\d+': assets\.directory: '\/definitely\/not\/here' is not a folder/,
    );
  });

  it("refuses a wrong html_handling or not_found_handling, listing what is allowed", () => {
    expect(
      refused({
        "wrangler.jsonc": `{ "main": "src/index.js", "assets": { "directory": "./", "html_handling": "sometimes" } }`,
      }),
    ).toMatch(
      /^App 'bad\d+': .*wrangler\.jsonc: assets\.html_handling: 'sometimes' is not an html_handling; allowed: auto-trailing-slash, force-trailing-slash, drop-trailing-slash, none$/,
    );
    expect(refused({ "public/a": "x" }, { directory: root.path, notFoundHandling: "404" })).toMatch(
      /assets\.notFoundHandling: '404' is not a not_found_handling; allowed: none, 404-page, single-page-application/,
    );
  });

  it("refuses an assets binding that takes another binding's name", async () => {
    expect(
      refused({
        "wrangler.jsonc": `{ "main": "src/index.js", "vars": { "ASSETS": "x" }, "assets": { "directory": "./", "binding": "ASSETS" } }`,
      }),
    ).toMatch(/wrangler\.jsonc: assets\.binding: 'ASSETS' is also a Durable Object binding or a var/);
    expect(refused({}, { directory: root.path, binding: "OBJECTS" })).toMatch(
      /^App 'bad\d+': assets\.binding: is reserved for the host: OBJECTS/,
    );
    // Accepted: and its bundle is awaited, so nothing is left running when the folders go.
    const ok = new App(`ok${n}`, {
      platform,
      source: join(project({}), "src"),
      assets: { directory: root.path, binding: "DB" },
    });
    expect(await value(ok.versionHash)).toMatch(/^[0-9a-f]{64}$/);
  });

  it("refuses an asset over 25 MiB, as Cloudflare does", () => {
    const dir = project({});
    writeFileSync(join(dir, "big.bin"), new Uint8Array(25 * 1024 * 1024 + 1));
    expect(() => new App("big", { platform, source: join(dir, "src"), assets: { directory: dir } })).toThrow(
      /^App 'big': assets\.directory: 'big\.bin' is 25\.0 MiB; Cloudflare serves assets of at most 25 MiB each$/,
    );
  });

  it("fails the App's check at preview when the assets are over maxAssetBytes, naming the app, files, bytes and limit", () => {
    const files = { "/a.bin": { sha256: "a".repeat(64), size: 6000, contentType: null } };
    const state = (quota: object, maxQuota: object | null) =>
      checkApp({
        name: "site",
        code: {
          versionHash: "v",
          mainModule: "index.js",
          modules: {},
          compatibilityDate: "2026-07-01",
          assets: { files },
        },
        settings: { quota },
        control: { url: "http://h", ...(maxQuota ? { maxQuota } : {}) },
        controlToken: "t",
      } as never).filter((f) => f.property.startsWith("assets"));
    expect(state({ maxAssetBytes: 5000 }, null)).toEqual([
      {
        property: "assets",
        reason:
          "app 'site': 1 asset files of 6.0 KB (6000 bytes) are over its quota maxAssetBytes = 5.0 KB; raise quota.maxAssetBytes or serve fewer files",
      },
    ]);
    expect(state({}, { maxAssetBytes: 2000 })[0]!.reason).toContain("over the platform ceiling maxAssetBytes = 2.0 KB");
    expect(state({}, null)).toEqual([]);
  });

  it("leaves readWranglerConfig's answer without assets when the file has none", () => {
    const dir = project({ "wrangler.jsonc": `{ "main": "src/index.js" }` });
    expect(readWranglerConfig(dir)!.assets).toBeUndefined();
  });
});
