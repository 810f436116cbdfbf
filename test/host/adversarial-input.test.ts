// Adversarial suite, malformed input: generated paths (bad percent-encoding,
// odd segments, huge names), odd Host headers and duplicate headers, sent
// raw to the real host on workerd, in the data plane and the control API.
// Every answer is the app's own or a coded JSON error below 500, and the
// host keeps serving. The generator is seeded, so a failure replays.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import { randomSource } from "../../bench/lib/random.mjs";
import {
  APPS_DOMAIN,
  TOKEN,
  deployBystanders,
  expectBystandersServing,
  rawHttp,
  startHostileHost,
} from "../helpers/hostile.js";

let host: TestHost;
beforeAll(async () => {
  host = await startHostileHost();
  await deployBystanders(host);
});
afterAll(async () => {
  await host?.dispose();
});

/** A small seeded generator, so every run sends the same inputs. */
const random = randomSource;

const ESCAPES = [
  "%",
  "%Z",
  "%4",
  "%E0%A4%A",
  "%C0%AF",
  "%FF",
  "%00",
  "%2F",
  "%25",
  "%2e%2e",
  "%F0%9F%98%80",
  "%ED%A0%80",
];
const WORDS = [
  "good",
  "good-tally",
  "apps",
  "_control",
  "v1",
  "..",
  ".",
  "",
  "GOOD",
  "a-",
  "-a",
  "x".repeat(64),
  "__proto__",
];
const ASCII = "abcdefghijklmnopqrstuvwxyz0123456789-._~!$&'()*+,;=:@";

/** One path segment: a known word, escapes, or random printable characters. */
function segment(r: () => number): string {
  const pick = <T>(xs: readonly T[]) => xs[Math.floor(r() * xs.length)]!;
  const kind = r();
  if (kind < 0.3) return pick(WORDS);
  if (kind < 0.6) return Array.from({ length: 1 + Math.floor(r() * 3) }, () => pick(ESCAPES) + pick(WORDS)).join("");
  if (kind < 0.95) return Array.from({ length: 1 + Math.floor(r() * 12) }, () => pick([...ASCII])).join("");
  return pick([...ASCII]).repeat(200 + Math.floor(r() * 2000));
}

/** A path the data plane or the control API routes. */
function path(r: () => number): { path: string; control: boolean } {
  const s = () => segment(r);
  const forms = [
    () => `/apps/${s()}/${s()}`,
    () => `/apps/${s()}`,
    () => `/${s()}/${s()}`,
    () => `/_control/v1/apps/${s()}`,
    () => `/_control/v1/apps/${s()}/versions/${s()}`,
    () => `/_control/v1/apps/${s()}/versions/${s()}/sources`,
    () => `/_control/v1/${s()}`,
    () => `/_control/${s()}/${s()}?${s()}=${s()}`,
  ];
  const p = forms[Math.floor(r() * forms.length)]!();
  return { path: p, control: p.startsWith("/_control/") };
}

/** What a malformed request may get: an app's own answer, or a coded JSON error below 500. */
function expectCodedOrApp(res: { status: number; text: string }, what: string): void {
  expect(res.status, `${what}: ${res.text.slice(0, 300)}`).toBeLessThan(500);
  if (res.status < 400) return;
  let body: { error?: { code?: unknown; message?: unknown } } = {};
  try {
    body = JSON.parse(res.text);
  } catch {
    // answered below
  }
  expect(typeof body.error?.code, `${what}: ${res.status} ${res.text.slice(0, 300)}`).toBe("string");
  expect(typeof body.error?.message, what).toBe("string");
}

describe("malformed input", () => {
  it("answers bad percent-encoding in an app path with a 400 naming it, and in a control path naming the field", async () => {
    const data = await rawHttp(host, "/apps/%E0%A4%A/", "127.0.0.1");
    expect(data.status).toBe(400);
    expect(JSON.parse(data.text).error).toMatchObject({
      code: "invalid_request",
      message: expect.stringContaining("percent-encoding"),
    });
    const control = await rawHttp(host, "/_control/v1/apps/%E0%A4%A", "127.0.0.1", {
      authorization: `Bearer ${TOKEN}`,
    });
    expect(control.status).toBe(400);
    expect(JSON.parse(control.text).error).toMatchObject({ code: "invalid_request", issues: [{ path: "app" }] });
  });

  it("answers 2,000 generated paths with the app's answer or a coded JSON error, and keeps serving", async () => {
    const r = random(20261203);
    for (let i = 0; i < 2000; i++) {
      const { path: p, control } = path(r);
      const res = await rawHttp(host, p, "127.0.0.1", control ? { authorization: `Bearer ${TOKEN}` } : {});
      expectCodedOrApp(res, `#${i} GET ${p.slice(0, 200)}`);
    }
    await expectBystandersServing(host);
  });

  it("answers odd Host headers the same way", async () => {
    const hosts = [
      "",
      "..",
      "a..b",
      ".apps.test",
      `.${APPS_DOMAIN}`,
      `good.${APPS_DOMAIN}.`,
      `GOOD.${APPS_DOMAIN}`,
      `%67ood.${APPS_DOMAIN}`,
      `a.b.${APPS_DOMAIN}`,
      `${"x".repeat(300)}.${APPS_DOMAIN}`,
      // (A port out of range, `:99999`, never reaches the host: Miniflare's entry worker fails to build the URL
      // and answers 500 itself. Cloudflare's edge refuses such a request, and so does the local target's server:
      // test/local/malformed.test.ts.)
      `good.${APPS_DOMAIN}:8080`,
      "[::1]",
      "[::1]:80",
      "127.0.0.1:0",
      `_control.${APPS_DOMAIN}`,
    ];
    for (const h of hosts) {
      for (const p of ["/", "/apps/good/x", "/_control/v1/platform", "/apps/%E0%A4%A/"]) {
        expectCodedOrApp(await rawHttp(host, p, h), `Host ${JSON.stringify(h)} GET ${p}`);
      }
    }
    await expectBystandersServing(host);
  });

  it("refuses duplicate credentials, and answers duplicate and large headers without failing", async () => {
    const twice = await rawHttp(host, "/_control/v1/platform", "127.0.0.1", {
      authorization: [`Bearer ${TOKEN}`, `Bearer ${TOKEN}`],
    });
    expect(twice.status).toBe(401);
    expect(JSON.parse(twice.text).error.code).toBe("unauthorized");
    const cases: Record<string, string | string[]>[] = [
      { cookie: ["a=1", "a=2"] },
      { "x-forwarded-host": [`good.${APPS_DOMAIN}`, "evil.example"] },
      { "x-large": "y".repeat(16 * 1024) },
      { "content-type": ["application/json", "text/plain"] },
    ];
    for (const headers of cases) {
      for (const p of ["/apps/good/x", "/_control/v1/apps/good", `/apps/${"%".repeat(3)}/`]) {
        const res = await rawHttp(host, p, "127.0.0.1", { authorization: `Bearer ${TOKEN}`, ...headers });
        expectCodedOrApp(res, `${Object.keys(headers)[0]} GET ${p}`);
      }
    }
    await expectBystandersServing(host);
  });
});
