// Adversarial suite, the browser: what an app's response may do to other
// apps in a browser. On hostname routes a cookie's Domain attribute is the
// way to reach every other app (session fixation); on path routes every app
// shares one origin, so Path=/ cookies, Service-Worker-Allowed and
// Clear-Site-Data would reach all of them. The host rewrites what the
// browser receives; read here as the browser reads it, header by header.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import {
  APPS_DOMAIN,
  deploy,
  deployBystanders,
  expectBystandersServing,
  startHostileHost,
} from "../helpers/hostile.js";

/** Answers with every Set-Cookie line and header the test asks for (one per `c` and `h` query value). */
const SETTER = `export default { fetch(request) {
  const q = new URL(request.url).searchParams;
  const headers = new Headers({ "content-type": "text/plain" });
  for (const c of q.getAll("c")) headers.append("set-cookie", c);
  for (const h of q.getAll("h")) { const i = h.indexOf(":"); headers.append(h.slice(0, i), h.slice(i + 1)); }
  return new Response("set", { headers });
} };`;

let host: TestHost;
beforeAll(async () => {
  host = await startHostileHost();
  await deployBystanders(host);
  await deploy(host, "setter", SETTER);
});
afterAll(() => host?.dispose());

const query = (cookies: string[], headers: string[] = []) =>
  new URLSearchParams([
    ...cookies.map((c): [string, string] => ["c", c]),
    ...headers.map((h): [string, string] => ["h", h]),
  ]).toString();

describe("cookies on hostname routes", () => {
  it("never carry a Domain attribute, so no app sets a cookie for another app's host", async () => {
    const res = await host.mf.dispatchFetch(
      `http://setter.${APPS_DOMAIN}/?${query([
        `sid=fixed; Domain=.${APPS_DOMAIN}; Path=/; HttpOnly`,
        `b=1; domain=${APPS_DOMAIN}`,
        `c=2; Path=/x; DOMAIN = other.${APPS_DOMAIN} ; Secure`,
        "d=3",
      ])}`,
      { signal: AbortSignal.timeout(15_000) },
    );
    expect(await res.text()).toBe("set");
    expect(res.headers.getSetCookie()).toEqual(["sid=fixed; Path=/; HttpOnly", "b=1", "c=2; Path=/x; Secure", "d=3"]);
    await expectBystandersServing(host);
  });
});

describe("path routes (one origin for every app)", () => {
  it("scope each cookie to the app's own prefix and drop __Host- cookies", async () => {
    const res = await host.fetch(
      `/apps/setter/?${query([
        "sid=fixed; Path=/",
        "k=v",
        "p=q; Path=/sub; Secure",
        `e=1; Path=/apps/good/; Domain=.${APPS_DOMAIN}`,
        "__Host-s=1; Path=/; Secure",
        "x=1; Path=/a; Path=/b",
      ])}`,
    );
    expect(res.headers.getSetCookie()).toEqual([
      "sid=fixed; Path=/apps/setter/",
      "k=v; Path=/apps/setter/",
      "p=q; Secure; Path=/apps/setter/sub",
      "e=1; Path=/apps/setter/apps/good/",
      "x=1; Path=/apps/setter/b",
    ]);
  });

  it("strip headers that act on the whole origin", async () => {
    const res = await host.fetch(
      `/apps/setter/?${query([], ["service-worker-allowed:/", 'clear-site-data:"*"', "x-own:kept"])}`,
    );
    expect(res.headers.get("service-worker-allowed")).toBeNull();
    expect(res.headers.get("clear-site-data")).toBeNull();
    expect(res.headers.get("x-own")).toBe("kept");
  });
});

describe("on hostname routes, each app is its own origin", () => {
  it("keeps Service-Worker-Allowed and Clear-Site-Data, which reach only that origin", async () => {
    const res = await host.mf.dispatchFetch(
      `http://setter.${APPS_DOMAIN}/?${query([], ["service-worker-allowed:/", 'clear-site-data:"cookies"'])}`,
      { signal: AbortSignal.timeout(15_000) },
    );
    expect(res.headers.get("service-worker-allowed")).toBe("/");
    expect(res.headers.get("clear-site-data")).toBe('"cookies"');
  });
});
