// The compatibility suite's Workers projects (test/compat/projects/) through a real `pulumi up` of
// `new App({ platform, source: folder })` on the local target, under the same assertions they pass
// on plain workerd configured from their wrangler.jsonc (test/compat/projects.test.ts). Then bad
// Wrangler files: each fails preview naming the file, the field and what is allowed, and nothing
// deployed changes (the other bad Wrangler files are test/unit/wrangler-modules.test.ts: the same reader).
import { cpSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { PROJECTS_DIR, PROJECT_CHECKS, projectNames, readProject } from "../compat/projects.js";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
if (!hasPulumi) console.warn("e2e skipped: no Pulumi CLI under .tools/pulumi/bin; run scripts/bootstrap.sh");

const PROGRAM = join(ROOT, "test", "e2e", "projects", "compat");

e2e("Workers projects through pulumi up", { timeout: 600_000 }, () => {
  const state = tempDir("dw-compat-state-");
  const scratch = tempDir("dw-compat-bad-");
  let target: LocalTarget;
  let stack: Stack;
  let control: ControlClient;
  let controlUrl: string;

  beforeAll(async () => {
    target = new LocalTarget(await freePort(), state.path);
    await target.start();
    stack = new Stack(target, PROGRAM);
    stack.init({ projectsDir: PROJECTS_DIR });
    stack.run(["up", "--yes"]);
    controlUrl = stack.outputs().controlUrl;
    control = new ControlClient({ url: controlUrl, token: stack.controlToken() });
  }, 600_000);
  afterAll(async () => {
    await target?.stop();
    stack?.remove();
    state.remove();
    scratch.remove();
  });

  for (const name of projectNames()) {
    it(name, async () => {
      await PROJECT_CHECKS[name]!({
        fetch: (path, init) => fetch(`${controlUrl}/apps/${name}${path}`, init),
        async scheduled(cron, scheduledTime) {
          return (await control.runScheduled(name, { cron, scheduledTime })).run.outcome === "ran";
        },
      });
    });
  }

  it("takes the crons and module types from the Wrangler files", async () => {
    expect((await control.getApp("nightly"))?.settings.crons).toEqual(readProject("nightly").triggers!.crons);
    const wasm = (await control.getApp("wasm-calc"))!;
    const { version } = await control.call("getVersion", {
      params: { app: "wasm-calc", hash: wasm.currentVersion! },
      query: { contents: "false" },
    });
    expect(
      Object.values(version.manifest.modules)
        .map((m) => m.type)
        .sort(),
    ).toEqual(["js", "wasm"]);
  });

  const bad: [string, Record<string, string>, RegExp][] = [
    [
      "bad-cron",
      { "wrangler.jsonc": `{ "main": "i.js", "triggers": { "crons": ["*/5 * * *"] } }` },
      /bad-cron\/wrangler\.jsonc: triggers\.crons\[0\]: '\*\/5 \* \* \*' has 4 fields; Cloudflare takes exactly five; allowed: five fields/,
    ],
    [
      "bad-jsonc",
      { "wrangler.jsonc": `{ "main": "i.js", }}` },
      /bad-jsonc\/wrangler\.jsonc: not valid JSONC at line 1, column 20/,
    ],
  ];
  for (const [name, files, message] of bad) {
    it(`${name}: fails preview naming the file and field, and nothing deployed changes`, () => {
      const dir = join(scratch.path, name);
      cpSync(join(PROJECTS_DIR, "counter", "src"), dir, { recursive: true });
      writeFileSync(join(dir, "i.js"), `export default { fetch() { return new Response("x"); } };`);
      for (const [f, text] of Object.entries(files)) writeFileSync(join(dir, f), text);
      const before = stack.outputs().versions;
      stack.setConfig({ extraProject: dir });
      try {
        const r = stack.run(["preview"], { check: false });
        expect(r.code).not.toBe(0);
        expect(`${r.stdout}\n${r.stderr}`).toMatch(message);
      } finally {
        stack.run(["config", "rm", "extraProject"]);
      }
      expect(stack.outputs().versions).toEqual(before);
    });
  }
});
