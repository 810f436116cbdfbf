// Static assets through the real pulumi CLI against a real local target:
// a Workers project folder with `assets` in its wrangler.jsonc deploys and
// serves its files; changing one file of many uploads only that file (as
// the host counts it); a bad assets config fails preview, naming the file
// and field, and what is deployed keeps serving.
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";
import { writeFiles } from "../helpers/assets.js";
import { ControlClient } from "../../provider/control-client/client.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
const PROJECT = join(ROOT, "test", "e2e", "projects", "assets");

const WRANGLER = (htmlHandling: string) =>
  JSON.stringify({
    main: "src/index.js",
    compatibility_date: "2026-07-01",
    assets: { directory: "./public", binding: "ASSETS", html_handling: htmlHandling },
  });

e2e("static assets through the pulumi CLI", { timeout: 600_000 }, () => {
  const state = tempDir("dw-e2e-assets-state-");
  const app = tempDir("dw-e2e-assets-app-");
  let target: LocalTarget;
  let stack: Stack;
  let control: ControlClient;
  const uploaded = async () =>
    (await control.call("putAssets", { params: { app: "site" }, body: { files: {} } })).uploaded;

  beforeAll(async () => {
    const files: Record<string, string> = {
      "wrangler.jsonc": WRANGLER("auto-trailing-slash"),
      "src/index.js": 'export default { fetch(request, env) { return new Response("from code", { status: 200 }); } };',
      "public/index.html": "<h1>home</h1>",
    };
    for (let i = 0; i < 50; i++) files[`public/files/f${i}.txt`] = `file ${i}`;
    writeFiles(app.path, files);
    target = new LocalTarget(await freePort(), state.path);
    await target.start();
    stack = new Stack(target, PROJECT);
    stack.init({ appDir: app.path });
  }, 120_000);

  afterAll(async () => {
    await target?.stop();
    stack?.remove();
    state.remove();
    app.remove();
  });

  it("deploys and serves the folder's assets; one changed file is the one file uploaded", async () => {
    stack.run(["up", "--yes", "--skip-preview"]);
    control = new ControlClient({ url: stack.outputs().controlUrl, token: stack.controlToken() });
    const base = stack.appUrl("site");
    const home = await fetch(base);
    expect([home.status, home.headers.get("content-type"), await home.text()]).toEqual([
      200,
      "text/html; charset=utf-8",
      "<h1>home</h1>",
    ]);
    expect(await (await fetch(`${base}files/f7.txt`)).text()).toBe("file 7");
    expect(await (await fetch(`${base}api`)).text()).toBe("from code");
    const first = await uploaded();
    expect(first.files).toBe(51);

    writeFileSync(join(app.path, "public/files/f7.txt"), "file 7, changed");
    stack.run(["up", "--yes", "--skip-preview"]);
    const second = await uploaded();
    expect({ files: second.files - first.files, bytes: second.bytes - first.bytes }).toEqual({
      files: 1,
      bytes: "file 7, changed".length,
    });
    await new Promise((r) => setTimeout(r, 1100)); // the platform's cacheTtlSeconds: 1
    expect(await (await fetch(`${base}files/f7.txt`)).text()).toBe("file 7, changed");
    expect(stack.run(["preview", "--expect-no-changes"]).code).toBe(0);
  });

  it("fails preview on a bad html_handling and on a missing directory, and the deployed version keeps serving", async () => {
    const before = (stack.outputs() as unknown as { versionHash: string }).versionHash;
    writeFileSync(join(app.path, "wrangler.jsonc"), WRANGLER("sometimes"));
    const bad = stack.run(["preview"], { check: false });
    expect(bad.code).not.toBe(0);
    expect(bad.stdout + bad.stderr).toContain(
      "wrangler.jsonc: assets.html_handling: 'sometimes' is not an html_handling; allowed: auto-trailing-slash, force-trailing-slash, drop-trailing-slash, none",
    );
    writeFileSync(
      join(app.path, "wrangler.jsonc"),
      JSON.stringify({ main: "src/index.js", compatibility_date: "2026-07-01", assets: { directory: "./gone" } }),
    );
    const missing = stack.run(["up", "--yes"], { check: false });
    expect(missing.code).not.toBe(0);
    expect(missing.stdout + missing.stderr).toMatch(/wrangler\.jsonc: assets\.directory: '.*gone' is not a folder/);
    writeFileSync(join(app.path, "wrangler.jsonc"), WRANGLER("auto-trailing-slash"));
    expect((stack.outputs() as unknown as { versionHash: string }).versionHash).toBe(before);
    expect(await (await fetch(`${stack.appUrl("site")}files/f7.txt`)).text()).toBe("file 7, changed");
  });
});
