// Adversarial suite, routing: a Host header (or URL hostname) naming another
// app or the control plane. The rule: a hostname under the apps domain
// picks the app, and then the whole path is that app's own (a `/apps/<a>/`
// path inside it is not re-routed); otherwise `/apps/<app>/` picks it; and a
// path under /_control/ is the control plane whatever the hostname. Every
// answer comes from exactly one app's code with that app's own env: never a
// mix that hands B's data to A's code or the other way round.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import {
  APPS_DOMAIN,
  TOKEN,
  deploy,
  deployBystanders,
  expectBystandersServing,
  get,
  rawHttp,
  secret,
  startHostileHost,
} from "../helpers/hostile.js";

const A_SECRET = secret("ALICE-ENV");
const B_SECRET = secret("BOB-ENV");

/** Echoes which app ran, what URL it saw and its own secret var. */
const ECHO = (tag: string) => `export default {
  fetch(request, env) {
    const u = new URL(request.url);
    return Response.json({ tag: ${JSON.stringify(tag)}, secret: env.SECRET, host: u.hostname, path: u.pathname });
  },
};`;

interface Echo {
  tag: string;
  secret: string;
  host: string;
  path: string;
}

let host: TestHost;
beforeAll(async () => {
  host = await startHostileHost();
  await deployBystanders(host);
  await deploy(host, "alice", ECHO("alice"), { env: { SECRET: A_SECRET } });
  await deploy(host, "bob", ECHO("bob"), { env: { SECRET: B_SECRET } });
});
afterAll(() => host?.dispose());
afterEach(async () => {
  await expectBystandersServing(host);
});

/** Parses an echo and checks it is one app's own answer, unmixed. */
function expectOneApp(text: string, app: "alice" | "bob"): Echo {
  const e = JSON.parse(text) as Echo;
  expect(e.tag).toBe(app);
  expect(e.secret).toBe(app === "alice" ? A_SECRET : B_SECRET);
  expect(text).not.toContain(app === "alice" ? B_SECRET : A_SECRET);
  return e;
}

const dispatch = async (url: string, init: RequestInit = {}) => {
  const res = await host.mf.dispatchFetch(url, { ...init, signal: AbortSignal.timeout(15_000) } as never);
  return { status: res.status, text: await res.text() };
};

describe("hostname against path", () => {
  it("lets the hostname win: /apps/alice/ under bob's hostname is bob's own path", async () => {
    const r = await dispatch(`http://bob.${APPS_DOMAIN}/apps/alice/x`);
    expect(r.status).toBe(200);
    expect(expectOneApp(r.text, "bob").path).toBe("/apps/alice/x");
  });

  it("does the same for a real HTTP Host header, which wins over the URL fetch() would send", async () => {
    const r = await rawHttp(host, "/apps/alice/x", `bob.${APPS_DOMAIN}`);
    expect(expectOneApp(r.text, "bob").path).toBe("/apps/alice/x");
    const byPath = await rawHttp(host, "/apps/alice/x", `127.0.0.1:${host.url.port}`);
    expect(expectOneApp(byPath.text, "alice").path).toBe("/x");
  });

  it("ignores forwarding headers naming another app", async () => {
    for (const headers of <Record<string, string>[]>[
      { "x-forwarded-host": `alice.${APPS_DOMAIN}` },
      { forwarded: `host=alice.${APPS_DOMAIN}` },
      { "x-original-url": "/apps/alice/" },
    ]) {
      const r = await rawHttp(host, "/", `bob.${APPS_DOMAIN}`, headers);
      expectOneApp(r.text, "bob");
    }
  });

  it("routes by path under a hostname outside the apps domain, even one that ends like it", async () => {
    for (const h of [`bob.${APPS_DOMAIN}.evil.example`, `bob${APPS_DOMAIN}`, APPS_DOMAIN, "localhost"]) {
      const r = await dispatch(`http://${h}/apps/alice/y`);
      expect(expectOneApp(r.text, "alice").path, h).toBe("/y");
    }
  });

  it("normalizes case and a trailing dot to the same app, and nothing else", async () => {
    for (const h of [`BOB.${APPS_DOMAIN.toUpperCase()}`, `bob.${APPS_DOMAIN}.`, `Bob.${APPS_DOMAIN}`]) {
      expectOneApp((await dispatch(`http://${h}/`)).text, "bob");
    }
  });
});

describe("hostnames that are not an app", () => {
  it("answers 404 for nested labels, look-alikes, reserved and malformed names", async () => {
    const hosts = [
      `alice.bob.${APPS_DOMAIN}`,
      `b\u043Eb.${APPS_DOMAIN}`, // Cyrillic o: punycode, another name
      `\uFF42\uFF4F\uFF42.${APPS_DOMAIN}`, // fullwidth: may fold to "bob" in the URL parser
      `_control.${APPS_DOMAIN}`,
      `control.${APPS_DOMAIN}`,
      `apps.${APPS_DOMAIN}`,
      `bob-.${APPS_DOMAIN}`,
      `${"a".repeat(63)}.${APPS_DOMAIN}`,
    ];
    for (const h of hosts) {
      let r: { status: number; text: string };
      try {
        r = await dispatch(`http://${h}/apps/alice/`);
      } catch {
        continue; // refused before the host: fine
      }
      if (r.status === 200) {
        // Only a case-folded spelling of bob itself may answer, and then as bob.
        expectOneApp(r.text, "bob");
        continue;
      }
      expect(r.status, h).toBe(404);
      expect(r.text, h).not.toContain(A_SECRET);
      expect(r.text, h).not.toContain(B_SECRET);
    }
  });

  it("answers 404 for path-routed names that try to climb or hide separators", async () => {
    for (const p of [
      "/apps/bob%2F..%2Falice/",
      "/apps/..%2Fbob/",
      "/apps/ALICE/",
      "/apps/alice%00/",
      "/apps/alice.bob/",
    ]) {
      const r = await get(host, p);
      expect(r.status, p).toBe(404);
      expect(r.text, p).not.toContain(A_SECRET);
    }
    // Encoded dots are dot segments to the URL parser: this is the host's index, no app.
    const dots = await get(host, "/apps/%2e%2e/");
    expect(dots.text).toContain("dynamic-workers host");
    // An encoded letter is the same app: fine, it is alice's own answer.
    expectOneApp((await get(host, "/apps/%61lice/")).text, "alice");
  });
});

describe("the control plane by hostname", () => {
  it("is reached only by /_control/ paths and only with the token, under any hostname", async () => {
    for (const h of [`bob.${APPS_DOMAIN}`, `_control.${APPS_DOMAIN}`, "control", APPS_DOMAIN]) {
      for (const path of ["/_control/v1/apps", "/_control/v1/apps/alice"]) {
        const r = await rawHttp(host, path, h);
        expect(r.status, `${h}${path}`).toBe(401);
        expect(r.text).not.toContain(A_SECRET);
        expect(r.text).not.toContain(B_SECRET);
      }
      // Any other path under that hostname is an app's (or the host's index), never the control plane.
      const other = await rawHttp(host, "/v1/apps", h, { authorization: `Bearer ${TOKEN}` });
      expect(other.text).not.toContain('"apps":[');
    }
  });
});
