// Errors a person can read: the real `pulumi preview` on a program with one
// mistake fails with the mistake's message, naming the app (and the file,
// for a bundling error): once in the diagnostics, with no gRPC shutdown
// trace, no `{<nil>}` value, no stack trace and no SDK wording.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
if (!hasPulumi) console.warn("e2e skipped: no Pulumi CLI under .tools/pulumi/bin; run scripts/bootstrap.sh");

const PROJECT = join(ROOT, "test", "e2e", "projects", "readable-errors");

/** What the CLI printed after "Diagnostics:", where each message is shown for good. */
const diagnostics = (out: string) => out.slice(out.indexOf("Diagnostics:"));

const count = (text: string, part: string) => text.split(part).length - 1;

e2e("readable errors through the pulumi CLI", { timeout: 600_000 }, () => {
  const state = tempDir("dw-e2e-errors-state-");
  let target: LocalTarget;
  let stack: Stack;

  beforeAll(async () => {
    target = new LocalTarget(await freePort(), state.path);
    await target.start();
    stack = new Stack(target, PROJECT);
    stack.init();
    const broken = join(stack.dir.path, "broken");
    mkdirSync(broken);
    writeFileSync(join(broken, "index.ts"), `export default { fetch() { return new Response("ok"); } ;;; };\n`);
    stack.setConfig({ brokenSource: broken });
  });

  afterAll(async () => {
    await target?.stop();
    stack?.remove();
    state.remove();
  });

  const cases: [string, string][] = [
    [
      "class",
      "App 'todo': its code would not start: durableObject: 'Todolist' is not exported by the app's code; did you mean 'TodoList'?",
    ],
    ["quota", "App 'todo': quota: maxObjects: Too small: expected number to be >=0"],
    ["outputQuota", "App 'todo': quota: maxObjects: Too small: expected number to be >=0"],
    ["syntax", `App 'todo': cannot bundle '`],
    ["outbound", `App 'todo': outbound: must be "none" (no network) or { allow: [`],
    [
      "inline",
      "App 'todo': its code would not start: durableObject: 'TodoList' is not exported by the app's code (it exports: x)",
    ],
  ];

  it.each(cases)("a mistake (%s) fails the preview with its message once, and nothing else", (mistake, message) => {
    stack.setConfig({ mistake });
    const r = stack.run(["preview"], { check: false });
    const out = r.stdout + r.stderr;
    expect(r.code, out).not.toBe(0);
    const shown = diagnostics(out);
    expect(count(shown, message), out).toBe(1);
    for (const noise of [
      "grpc",
      "{<nil>}",
      "error serializing property",
      "    at ",
      "failed to deliver",
      "unhandled exception",
    ])
      expect(out, noise).not.toContain(noise);
    if (mistake === "syntax") expect(shown).toContain(`/broken': index.ts:1:57: Expected "}" but found ";"`);
  });

  it("and the program without a mistake previews", () => {
    stack.setConfig({ mistake: "none" });
    const r = stack.run(["preview"], { check: false });
    expect(r.code, r.stdout + r.stderr).toBe(0);
  });
});
