// The live-chat example in a real browser: Debian's Chromium, driven by
// playwright-core, opens the app's page twice on the real host; two people
// in one room see each other's messages over WebSockets (the Hibernation API,
// through the host's supervisor and the room's facet).
import { existsSync } from "node:fs";
import { type Browser, chromium } from "playwright-core";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { join } from "node:path";
import { bundleApp } from "../../provider/bundle/bundle-app.js";
import { readWranglerConfig } from "../../provider/bundle/wrangler-config.js";
import { type TestHost, startHost } from "../helpers/host.js";
import { rollOutWithAssets } from "../helpers/assets.js";

const CHROMIUM = process.env.CHROMIUM_PATH ?? "/usr/bin/chromium";
const haveChromium = existsSync(CHROMIUM);

describe.skipIf(!haveChromium)("the live-chat example in Chromium", () => {
  let host: TestHost;
  let browser: Browser;
  beforeAll(async () => {
    host = await startHost({ config: { cacheTtlSeconds: 0 } });
    // The folder as a Workers project: its wrangler.jsonc says the entry, date and bindings, as for the App.
    const wrangler = readWranglerConfig("examples/live-chat/app")!;
    const bundle = await bundleApp(join("examples/live-chat/app", wrangler.main!));
    // Its page is a static asset (public/index.html), uploaded as the App uploads assets.
    await rollOutWithAssets(
      host.control,
      "live-chat",
      {
        mainModule: bundle.mainModule,
        modules: bundle.modules,
        compatibilityDate: wrangler.compatibilityDate!,
        durableObjects: wrangler.durableObjects!,
      },
      join("examples/live-chat/app", wrangler.assets!.directory),
    );
    // The flags keep Chromium off the network this machine does not have (FACTS.md).
    browser = await chromium.launch({
      executablePath: CHROMIUM,
      headless: true,
      args: [
        "--no-sandbox",
        "--disable-gpu",
        "--disable-quic",
        "--no-first-run",
        "--disable-background-networking",
        "--disable-component-update",
        "--disable-sync",
      ],
    });
  }, 60_000);
  afterAll(async () => {
    await browser?.close();
    await host?.dispose();
  });

  it("shows each person's messages to the other, and the room's history to a newcomer", async () => {
    const open = async (user: string) => {
      const page = await browser.newPage();
      const res = await page.goto(new URL(`/apps/live-chat/?room=lobby&user=${user}`, host.url).toString());
      // Served from the app's assets: a strong ETag of the file's content.
      expect(res?.headers().etag).toMatch(/^"[0-9a-f]{64}"$/);
      await page.locator("#status", { hasText: `connected as ${user}` }).waitFor({ timeout: 15_000 });
      return page;
    };
    const ann = await open("ann");
    const bob = await open("bob");
    await ann.locator("li", { hasText: "bob: joined" }).waitFor({ timeout: 10_000 });
    await ann.fill("#text", "hello from ann");
    await ann.press("#text", "Enter");
    await bob.locator("li", { hasText: "ann: hello from ann" }).waitFor({ timeout: 10_000 });
    await bob.fill("#text", "hi ann");
    await bob.click("button");
    await ann.locator("li", { hasText: "bob: hi ann" }).waitFor({ timeout: 10_000 });
    // A third page gets the stored history first.
    const cy = await open("cy");
    const texts = await cy.locator("li").allTextContents();
    expect(texts.slice(0, 2)).toEqual(["ann: hello from ann", "bob: hi ann"]);
  }, 60_000);
});

if (!haveChromium) {
  describe("the live-chat example in Chromium", () => {
    it.skip(`skipped: no Chromium at ${CHROMIUM} (scripts/bootstrap.sh installs Debian's chromium; set CHROMIUM_PATH)`, () => {});
  });
}
