// The comment for reviewers (issue 18, item 4), on the real quickstart preview fixture: a rename says what
// happens to the old URL and its data, a quota cut shows current usage beside it, and each live preview is
// linked. The Markdown is rendered to HTML as GitHub-flavoured Markdown (marked), to check what a reader sees.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { marked } from "marked";
import { describe, expect, it } from "vitest";
import type { PreviewJson } from "../../provider/gitops/app-changes.js";
import { previewComment } from "../../provider/gitops/preview-comment.js";
import { collectQuotaUsage, quotaCuts } from "../../provider/gitops/quota-usage.js";
import type { AppUsage } from "../../provider/shared/control/responses.js";

const FIXTURES = join(import.meta.dirname, "..", "fixtures", "preview");
const fixture = (name: string): PreviewJson => JSON.parse(readFileSync(join(FIXTURES, `${name}.json`), "utf8"));
type AnyStep = NonNullable<PreviewJson["steps"]>[number] & { newState: { inputs: any }; oldState: { inputs: any } };
const appStep = (p: PreviewJson, name: string) => p.steps!.find((s) => s.urn.endsWith(`:App::${name}`)) as AnyStep;

const usage = (objects: number, storedBytes = 0): AppUsage => ({
  requests: { total: 10, thisMinute: 1, lastMinute: 3, limitPerMinute: 600 },
  errors: 0,
  objects: { count: objects, limit: 20, byClass: {} },
  outbound: { total: 0, allow: "none" },
  storedBytes: { used: storedBytes, limit: 50_000_000 },
});

/** The chat app's maxObjects cut from 20 to 5 (chat holds its rooms as objects). */
function quotaCut(): PreviewJson {
  const p = fixture("changes");
  const chat = appStep(p, "chat");
  chat.oldState.inputs.settings.quota = { ...chat.oldState.inputs.settings.quota, maxObjects: 20 };
  chat.newState.inputs.settings.quota = { ...chat.oldState.inputs.settings.quota, maxObjects: 5 };
  return p;
}

describe("a rename", () => {
  it("of an app with data: the old URL stops serving, its data is retained under the old name", () => {
    const html = marked.parse(previewComment(fixture("changes"))) as string;
    expect(html).toContain("<td><code>todo</code> → <code>todos</code></td>");
    expect(html).toContain(
      "<code>todo</code> → <code>todos</code>: the old URL stops serving; its data is retained (under the name <code>todo</code>",
    );
  });

  it('whose old app has dataOnDelete "delete": says its databases are deleted', () => {
    const p = fixture("changes");
    appStep(p, "todo").oldState.inputs.settings = {
      ...appStep(p, "todo").oldState.inputs.settings,
      dataOnDelete: "delete",
    };
    const md = previewComment(p);
    expect(md).toContain(
      '`todo` → `todos`: the old URL stops serving and its databases are deleted (`dataOnDelete: "delete"`)',
    );
    expect(md).toContain("🛑 old app's databases deleted");
  });

  it("of an app without state: the old URL stops serving, no data", () => {
    const p = fixture("changes");
    const todo = appStep(p, "todo");
    todo.oldState.inputs.code = { ...todo.oldState.inputs.code, durableObject: null };
    todo.newState.inputs.code = { ...todo.newState.inputs.code, durableObject: null };
    expect(previewComment(p)).toContain("`todo` → `todos`: the old URL stops serving; it kept no data");
  });
});

describe("a quota cut", () => {
  it("is found in the preview's App updates", () => {
    expect(quotaCuts(quotaCut()).map((c) => [c.app, c.field])).toEqual([["chat", "maxObjects"]]);
    expect(quotaCuts(fixture("changes"))).toEqual([]);
  });

  it("shows current usage beside it, and warns when the app is over the new quota", async () => {
    const p = quotaCut();
    const asked: string[] = [];
    const { usage: u } = await collectQuotaUsage(p, {
      fetchUsage: async (app, url) => {
        asked.push(`${app} ${url}`);
        return usage(7);
      },
    });
    expect(asked).toEqual([expect.stringMatching(/^chat http:\/\/127\.0\.0\.1:\d+\/_scripts\/dynamic-workers$/)]);
    const md = previewComment(p, { quotaUsage: u });
    expect(md).toMatch(
      /\| `chat` \| change \| unchanged \| maxObjects 20 → 5 \(7 objects in use: 2 over the new quota; they keep working, new ones are refused\)/,
    );
    expect(md).toContain(
      "> - `chat`: quota `maxObjects 20 → 5`, but 7 objects in use: 2 over the new quota; they keep working, new ones are refused",
    );
    const fits = previewComment(p, { quotaUsage: new Map([[appStep(p, "chat").urn, usage(3)]]) });
    expect(fits).toContain("maxObjects 20 → 5 (3 objects in use)");
    expect(fits).not.toContain("over the new quota");
  });

  it("without a token, says usage was not fetched", async () => {
    const r = await collectQuotaUsage(quotaCut(), {});
    expect(r.note).toBe("Current usage beside quota cuts was not fetched: no control token.");
    expect(previewComment(quotaCut(), { usageNote: r.note! })).toContain(
      "_Current usage beside quota cuts was not fetched",
    );
  });

  it("a host that cannot be reached is a note, never an error", async () => {
    const r = await collectQuotaUsage(quotaCut(), { controlToken: "t", controlUrl: "http://127.0.0.1:9/" });
    expect(r.usage.size).toBe(0);
    expect(r.note).toMatch(/^Current usage could not be fetched for `chat` \(.*cannot reach the control API/);
  });
});

describe("live previews", () => {
  it("link each slot's URL, say it has its own data and when it goes", () => {
    const md = previewComment(fixture("changes"), {
      previews: {
        preview: "pr-42",
        slots: [
          {
            app: "hello",
            slot: "hello--pr-42",
            url: "https://hello--pr-42.apps.example.com/",
            seeded: true,
            expiresAt: "2026-12-07T04:00:00.000Z",
          },
        ],
        failed: [{ app: "chat", message: "PUT /previews/pr-42/apps/chat: 422 limit_exceeded: previews.maxSlots is 1" }],
      },
    });
    const html = marked.parse(md) as string;
    expect(html).toContain(
      '<a href="https://hello--pr-42.apps.example.com/">hello--pr-42</a> (seeded by its seed hook)',
    );
    expect(html).toContain("removed 2026-12-07 04:00 UTC unless pushed again");
    expect(md).toContain("- `chat`: ❌ not deployed: PUT /previews/pr-42/apps/chat: 422 limit_exceeded");
    expect(previewComment(fixture("changes"))).not.toContain("Live previews");
  });
});

describe("which apps a preview deploys", () => {
  it("the apps whose App is created, changed or replaced, by their new name", async () => {
    const { changedAppNames } = await import("../../provider/gitops/preview-apps.js");
    expect([...changedAppNames(fixture("changes"))].sort()).toEqual(["chat", "extra-0", "hello", "todos"]);
    expect([...changedAppNames(fixture("no-changes"))]).toEqual([]);
  });
});
