// The comment's source diffs on real `pulumi preview --json` output
// (test/fixtures/preview/), with the working tree the fixture script made
// rebuilt in a temp folder, and the deployed sources served by a fake
// fetcher (test/e2e/lifecycle.test.ts runs the real control API).
import { spawnSync } from "node:child_process";
import { appendFileSync, cpSync, mkdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { gunzipSync } from "node:zlib";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { renderSourceDiffs } from "../../provider/gitops/diff-markdown.js";
import type { PreviewJson } from "../../provider/gitops/app-changes.js";
import { GITHUB_COMMENT_LIMIT, previewComment } from "../../provider/gitops/preview-comment.js";
import { collectSourceDiffs, diffFiles, type OldSourcesFetcher } from "../../provider/gitops/source-diff.js";
import { appSources } from "../../provider/bundle/source-files.js";
import { tempDir } from "../helpers/host.js";

const ROOT = join(import.meta.dirname, "..", "..");
const FIXTURES = join(ROOT, "test", "fixtures", "preview");
const fixture = (name: string): PreviewJson =>
  JSON.parse(
    name.endsWith(".gz")
      ? gunzipSync(readFileSync(join(FIXTURES, name))).toString("utf8")
      : readFileSync(join(FIXTURES, `${name}.json`), "utf8"),
  );
/** The change make-preview-fixtures.mjs made to hello for changes.json. */
const HELLO_CHANGE = "\nexport const added = 'a change';\n";

// The fixture's program ran in examples/quickstart with the apps in .dynamic-workers/preview-fixtures/apps.
const work = tempDir("dw-diff-");
const cwd = join(work.path, "examples", "quickstart");
const quickstartApps = join(ROOT, "examples", "quickstart", "apps");

/** The deployed sources: what the provider uploaded for the quickstart apps as they are in git. */
const calls: { name: string; controlUrl: string; versionHash: string }[] = [];
const deployed: OldSourcesFetcher = async (app, versionHash) => {
  calls.push({ ...app, versionHash });
  return (await appSources({ root: join(quickstartApps, app.name), entry: "index.ts" })).files;
};

beforeAll(() => {
  mkdirSync(cwd, { recursive: true });
  const apps = join(work.path, ".dynamic-workers", "preview-fixtures", "apps");
  cpSync(quickstartApps, apps, { recursive: true });
  appendFileSync(join(apps, "hello", "index.ts"), HELLO_CHANGE);
});
afterAll(() => work.remove());

describe("source diffs of a real preview", () => {
  it("a code change: the changed line in a collapsible diff; a new app all added; no diff where the code is the same", async () => {
    const preview = fixture("changes");
    const { diffs, note } = await collectSourceDiffs(preview, { cwd, fetchOld: deployed });
    expect(note).toBeUndefined();
    const hello = [...diffs].find(([urn]) => urn.endsWith("::hello"))![1];
    expect(hello.files.map((f) => [f.path, f.status, f.added, f.removed])).toEqual([["index.ts", "modified", 2, 0]]);
    // The old version is the one in the step's old state, fetched from that app's control URL.
    const oldHash = (
      preview.steps!.find((s) => s.urn.endsWith("::hello"))!.oldState!.outputs as { code: { versionHash: string } }
    ).code.versionHash;
    expect(calls).toContainEqual({
      name: "hello",
      controlUrl: "http://127.0.0.1:8787/_scripts/dynamic-workers",
      versionHash: oldHash,
    });
    // A rename and a quota change leave the code alone: no diff.
    expect([...diffs.keys()].map((u) => u.split("::").pop()).sort()).toEqual(["extra-0", "hello"]);
    expect(diffs.get([...diffs.keys()].find((u) => u.endsWith("::extra-0"))!)!.files[0]).toMatchObject({
      path: "index.ts",
      status: "added",
      removed: 0,
    });

    const md = previewComment(preview, { sourceDiffs: diffs });
    expect(md).toContain("#### Source changes");
    expect(md).toContain("<details><summary><code>hello</code>: 1 file changed (+2 −0)</summary>");
    expect(md).toMatch(
      /```diff\n--- a\/index\.ts\n\+\+\+ b\/index\.ts\n@@ -\d+,\d+ \+\d+,\d+ @@\n[\s\S]*\n\+export const added = 'a change';\n```/,
    );
    expect(md).toMatch(/<code>extra-0<\/code>: 1 file changed \(\+\d+ −0\)/);
    // The table comes first, unchanged.
    expect(md.startsWith(previewComment(preview))).toBe(true);
  });

  it("without a control token the comment renders and says the old sources could not be fetched", async () => {
    const { diffs, note } = await collectSourceDiffs(fixture("changes"), { cwd });
    expect(note).toMatch(/could not be fetched: no control token \(set DYNAMIC_WORKERS_CONTROL_TOKEN\)/);
    const md = previewComment(fixture("changes"), { sourceDiffs: diffs, ...(note && { sourceNote: note }) });
    expect(md).toContain(note!);
    expect(md).toContain("- `hello`: the deployed sources could not be fetched: no control token");
    // A new app needs no old sources.
    expect(md).toMatch(/<code>extra-0<\/code>: 1 file changed/);
    expect(md).toContain("| `hello` | change |");
  });

  it("a failed fetch, a host without the sources and a source folder that is gone become notes, not failures", async () => {
    const failing: OldSourcesFetcher = async () => {
      throw new Error("GET /apps/hello/versions/x/sources: 0 network: connect ECONNREFUSED");
    };
    const failed = await collectSourceDiffs(fixture("changes"), { cwd, fetchOld: failing });
    expect(previewComment(fixture("changes"), { sourceDiffs: failed.diffs })).toContain(
      "- `hello`: the deployed sources could not be fetched: GET /apps/hello/versions/x/sources: 0 network: connect ECONNREFUSED",
    );
    const none = await collectSourceDiffs(fixture("changes"), { cwd, fetchOld: async () => null });
    expect(previewComment(fixture("changes"), { sourceDiffs: none.diffs })).toContain(
      "- `hello`: the deployed version keeps no source files",
    );
    const gone = await collectSourceDiffs(fixture("changes"), {
      cwd: join(work.path, "nowhere", "at", "all"),
      fetchOld: deployed,
    });
    expect(previewComment(fixture("changes"), { sourceDiffs: gone.diffs })).toMatch(
      /- `hello`: the new source files could not be read: .*does not exist/,
    );
  });

  it("a real control client that cannot connect: a note without the token", async () => {
    const token = "secret-token-that-must-not-leak-0123456789";
    const { diffs } = await collectSourceDiffs(fixture("changes"), {
      cwd,
      controlToken: token,
      controlUrl: "http://127.0.0.1:1",
    });
    const md = previewComment(fixture("changes"), { sourceDiffs: diffs });
    expect(md).toMatch(
      /- `hello`: the deployed sources could not be fetched: GET \/apps\/hello\/versions\/[0-9a-f]{64}\/sources: 0 network/,
    );
    expect(md).not.toContain(token);
  });

  it("a failed preview: diffs where the new source bundles, a note where it does not", async () => {
    const { diffs } = await collectSourceDiffs(fixture("error"), { cwd, fetchOld: deployed });
    // The error fixture's code change is a syntax error in hello, whose step the engine never produced.
    expect([...diffs.keys()].filter((u) => u.endsWith("::hello"))).toEqual([]);
    expect(previewComment(fixture("error"), { sourceDiffs: diffs })).toContain("❌ **The preview failed**");
  });

  it("200 apps added at once stay within GitHub's limit: diffs are cut first, with a count of what was left out", async () => {
    const preview = fixture("many-apps.json.gz");
    expect(preview.steps!.filter((s) => s.op === "create" && s.urn.includes(":App::extra-"))).toHaveLength(200);
    const plain = previewComment(preview);
    expect(plain).toContain("**Apps:** 200 added, 0 changed");
    const { diffs } = await collectSourceDiffs(preview, { cwd, fetchOld: deployed });
    expect(diffs.size).toBe(200);
    const md = previewComment(preview, { sourceDiffs: diffs });
    expect(md.length).toBeLessThanOrEqual(GITHUB_COMMENT_LIMIT);
    expect(md.startsWith(plain)).toBe(true);
    const shown = md.match(/<details>/g)?.length ?? 0;
    expect(shown).toBeGreaterThan(10);
    expect(md).toContain(
      `…and ${200 - shown} more apps' source diffs left out, to stay within GitHub's comment limit.`,
    );
  });
});

describe("dynamic-workers preview-comment with --cwd", () => {
  it("diffs the working tree; without a token it says why the changed app has no diff", () => {
    const r = spawnSync(
      process.execPath,
      [join(ROOT, "bin", "dynamic-workers.mjs"), "preview-comment", join(FIXTURES, "changes.json"), "--cwd", cwd],
      {
        encoding: "utf8",
        env: { ...process.env, DYNAMIC_WORKERS_CONTROL_TOKEN: "" },
      },
    );
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain(
      "Old source files could not be fetched: no control token (set DYNAMIC_WORKERS_CONTROL_TOKEN).",
    );
    expect(r.stdout).toContain("- `hello`: the deployed sources could not be fetched: no control token");
    expect(r.stdout).toMatch(/<code>extra-0<\/code>: 1 file changed \(\+\d+ −0\)/);
  });
});

describe("renderSourceDiffs", () => {
  const lines = (n: number, tag: string) => `${Array.from({ length: n }, (_, i) => `line ${i} ${tag}`).join("\n")}\n`;

  it("cuts a large diff with a count of the lines and files left out, within the budget", () => {
    const before: Record<string, string> = {};
    const after: Record<string, string> = {};
    for (let f = 0; f < 10; f++) {
      // Rewritten whole: past MAX_EDIT_LENGTH, shown as all lines out and in.
      before[`src/f${f}.ts`] = lines(800, "old");
      after[`src/f${f}.ts`] = lines(800, "new");
    }
    const diff = { files: diffFiles(before, after) };
    expect(diff.files[0]).toMatchObject({ added: 800, removed: 800 });
    expect(diff.files[0]!.lines.slice(0, 2)).toEqual(["@@ -1,800 +1,800 @@", "-line 0 old"]);
    for (const budget of [2_000, 20_000, 60_000]) {
      const md = renderSourceDiffs(
        [
          { app: "big", diff },
          { app: "small", diff: { files: diffFiles({ "a.ts": "a\n" }, { "a.ts": "b\n" }) } },
        ],
        budget,
      );
      expect(md.length, String(budget)).toBeLessThanOrEqual(budget);
      expect(md).toContain("<code>small</code>: 1 file changed (+1 −1)");
      expect(md).toMatch(/… \d+ more lines of src\/f\d\.ts/);
      if (budget < 50_000) expect(md).toMatch(/… \d+ more files: src\/f\d\.ts, src\/f\d\.ts, src\/f\d\.ts, …\n/);
      // With room for every file, each is still cut at MAX_FILE_LINES, and the next one shows.
      else expect(md.match(/… 1201 more lines of src\/f\d\.ts\n/g)).toHaveLength(10);
    }
    // A file past the per-file cap is cut there and the next file still shows.
    const two = {
      files: diffFiles({ "a.ts": lines(1000, "old"), "b.ts": "x\n" }, { "a.ts": lines(1000, "new"), "b.ts": "y\n" }),
    };
    const md = renderSourceDiffs([{ app: "two", diff: two }], 1_000_000);
    expect(md).toMatch(/… 1601 more lines of a\.ts\n--- a\/b\.ts\n\+\+\+ b\/b\.ts\n/);
  });

  it("fences a diff longer than any backtick run in it, and escapes HTML in the summary", () => {
    const md = renderSourceDiffs(
      [{ app: "md", diff: { files: diffFiles({}, { "README.md": "```js\nx\n```\n" }) } }],
      10_000,
    );
    expect(md).toContain("````diff\n--- /dev/null\n+++ b/README.md\n");
    expect(md).toContain("+```js\n");
    expect(md).toMatch(/\n````\n\n<\/details>\n$/);
  });

  it("says nothing when there is nothing to say or no room", () => {
    expect(renderSourceDiffs([], 10_000)).toBe("");
    expect(renderSourceDiffs([{ app: "a", diff: { files: diffFiles({}, { "a.ts": "a\n" }) } }], 10)).toBe("");
  });
});
