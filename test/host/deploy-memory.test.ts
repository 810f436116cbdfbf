// The largest version the schema allows deploys on a host whose V8 old space
// is bounded at 48 MB (an isolate over it aborts workerd, as an isolate over
// 128 MB fails on Cloudflare): contents go in pieces, so no request holds
// the version. bench:deploy-memory shows the host before pieces aborting there.
import { afterAll, beforeAll, expect, it } from "vitest";
import { LIMITS } from "../../provider/shared/schema/index.js";
import { startHost, type TestHost } from "../helpers/host.js";

const OLD_SPACE_MB = 48;
let host: TestHost;
beforeAll(async () => {
  // Miniflare passes this to workerd when it starts it.
  process.env.MINIFLARE_WORKERD_V8_FLAGS = `--max-old-space-size=${OLD_SPACE_MB}`;
  host = await startHost();
});
afterAll(async () => {
  delete process.env.MINIFLARE_WORKERD_V8_FLAGS;
  await host?.dispose();
});

/** Letters (text) or bytes (binary, as base64) that do not repeat. */
function filler(n: number, seed: number, binary: boolean): string {
  const out = Buffer.alloc(n);
  let x = seed >>> 0;
  for (let i = 0; i < n; i++) {
    x = (x * 1664525 + 1013904223) >>> 0;
    out[i] = binary ? x >>> 24 : 97 + ((x >>> 24) % 26);
  }
  return binary ? out.toString("base64") : out.toString("latin1");
}

it(`deploys ${LIMITS.maxCodeBytes} bytes of code with the host's old space bounded at ${OLD_SPACE_MB} MB`, async () => {
  const main = `export default { fetch() { return new Response("ok"); } };`;
  const each = Math.floor((LIMITS.maxCodeBytes - main.length) / 24);
  const modules: Record<string, { type: "js" | "text" | "data"; content: string }> = {
    "index.js": { type: "js", content: main },
  };
  for (let i = 0; i < 24; i++) {
    const binary = i % 2 === 1;
    modules[`m${i}.${binary ? "bin" : "txt"}`] = {
      type: binary ? "data" : "text",
      content: filler(each, i + 1, binary),
    };
  }
  const outcome = await host.control.rollOut("big", {
    mainModule: "index.js",
    modules,
    compatibilityDate: "2026-07-01",
  });
  expect(outcome.versionHash).toMatch(/^[0-9a-f]{64}$/);
  expect(await (await host.fetch("/apps/big/")).text()).toBe("ok");
}, 120_000);
