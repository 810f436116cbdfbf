// The Cache API in an app's isolate: caches.default and caches.open() fail with a message naming the
// limitation, and an app that removes the host's stand-in still finds no cache shared with another app.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsApp, startHost, type TestHost } from "../helpers/host.js";

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ config: { cacheTtlSeconds: 0 } });
});
afterAll(() => host?.dispose());

/** An app that tries the Cache API (after `prelude`) and answers what happened. */
const cacheApp = (prelude: string, value: string) =>
  jsApp(`export default {
  async fetch() {
    ${prelude}
    const out = {};
    for (const [what, open] of [["default", async () => caches.default], ["open", () => caches.open("shared")]]) {
      try {
        const cache = await open();
        const key = "https://shared.example/" + what;
        const hit = await cache.match(key);
        await cache.put(key, new Response(${JSON.stringify(value)}, { headers: { "cache-control": "max-age=600" } }));
        out[what] = "hit " + (hit ? await hit.text() : "miss");
      } catch (e) {
        out[what] = "FAILED " + (e && e.message);
      }
    }
    return Response.json(out);
  },
};`);

const LIMITATION =
  /^FAILED the Cache API is not offered to apps: one cache for the whole platform would let one app read or poison another's entries; keep what you would cache in a Durable Object$/;

describe("the Cache API", () => {
  it("caches.default and caches.open() fail naming the limitation", async () => {
    await host.control.rollOut("cache-plain", cacheApp("", "a"));
    const r = (await (await host.fetch("/apps/cache-plain/")).json()) as Record<string, string>;
    expect(r.default).toMatch(LIMITATION);
    expect(r.open).toMatch(LIMITATION);
  });

  it("an app that deletes the stand-in gets no cache another app can read or poison", async () => {
    const prelude = "delete globalThis.caches;";
    await host.control.rollOut("cache-writer", cacheApp(prelude, "poison"));
    await host.control.rollOut("cache-reader", cacheApp(prelude, "reader"));
    await host.fetch("/apps/cache-writer/");
    const r = (await (await host.fetch("/apps/cache-reader/")).json()) as Record<string, string>;
    for (const what of ["default", "open"]) {
      expect(r[what], what).not.toMatch(/poison/);
      expect(r[what], what).toMatch(/^FAILED /);
    }
  });
});
