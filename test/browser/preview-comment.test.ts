// The pull-request comment as a reviewer sees it: its GitHub-flavoured Markdown rendered to HTML (marked) in
// Debian's Chromium, on a real preview fixture with a rename and a live preview deployed to the real host;
// the reviewer reads the rename row and follows the preview's link to the slot, which answers from the branch.
import { existsSync } from "node:fs";
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { marked } from "marked";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { deployToSlot } from "../../provider/control-client/preview-deploy.js";
import type { PreviewJson } from "../../provider/gitops/app-changes.js";
import { previewComment } from "../../provider/gitops/preview-comment.js";
import { derivePreviewToken } from "../../provider/shared/schema/index.js";
import { TOKEN, jsApp, startHost, type TestHost } from "../helpers/host.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);
const FIXTURE = join(import.meta.dirname, "..", "fixtures", "preview", "changes.json");

describe.skipIf(!haveChromium)("the pull-request comment in Chromium", () => {
  let host: TestHost;
  let browser: Browser;
  beforeAll(async () => {
    host = await startHost({ config: { cacheTtlSeconds: 0 } });
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: ["--no-sandbox", "--disable-gpu", "--disable-quic", "--no-first-run", "--disable-background-networking"],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await host?.dispose();
  });

  it("shows the rename and links the live preview, which answers from the branch", async () => {
    const preview = new ControlClient({ url: host.url.toString(), token: await derivePreviewToken(TOKEN) });
    const d = await deployToSlot(
      preview,
      "pr-42",
      "hello",
      jsApp(`export default { fetch() { return new Response("hello from the branch"); } };`),
    );
    const url = new URL(`/apps/${d.slot.slot}/`, host.url).href;
    const md = previewComment(JSON.parse(readFileSync(FIXTURE, "utf8")) as PreviewJson, {
      previews: {
        preview: "pr-42",
        slots: [{ app: "hello", slot: d.slot.slot, url, seeded: false, expiresAt: d.slot.expiresAt }],
      },
    });
    const page = await browser.newPage();
    await page.setContent(`<!doctype html><meta charset="utf-8"><body>${marked.parse(md) as string}</body>`);
    const rename = page.locator("tr", { hasText: "todo → todos" });
    expect(await rename.locator("td").allInnerTexts()).toEqual([
      "todo → todos",
      "replace",
      "unchanged",
      "–",
      "–",
      "⚠️ old URL stops serving; data retained",
    ]);
    await expect
      .poll(() => page.locator("li", { hasText: "the old URL stops serving; its data is retained" }).count())
      .toBe(1);
    await page.getByRole("link", { name: "hello--pr-42" }).click();
    await page.waitForURL(url);
    expect(await page.locator("body").textContent()).toBe("hello from the branch");
  }, 60_000);
});

if (!haveChromium) {
  describe("the pull-request comment in Chromium", () => {
    it.skip(`skipped: no Chromium at ${CHROMIUM} (scripts/bootstrap.sh installs Debian's chromium; set CHROMIUM_PATH)`, () => {});
  });
}
