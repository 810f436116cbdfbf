// A facet whose class fails to start (its constructor throws, or its
// blockConcurrencyWhile callback does) fails that request with the error,
// and the next request starts it again: the object is not wedged (issue 17,
// facet lifecycle). The app counts its attempts in its isolate's globals,
// which outlive a failed object.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import { deploy, startHostileHost } from "../helpers/hostile.js";

const FLAKY = `
import { DurableObject } from "cloudflare:workers";
let constructed = 0;
let blocked = 0;
export class Flaky extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    if (ctx.id.name === "ctor" && constructed++ === 0) throw new Error("constructor failed once");
    if (ctx.id.name === "block") {
      ctx.blockConcurrencyWhile(async () => {
        if (blocked++ === 0) throw new Error("startup callback failed once");
      });
    }
  }
  hello() { return "hello from " + this.ctx.id.name; }
}
export default { async fetch(request, env) {
  const name = new URL(request.url).pathname.slice(1);
  try {
    return new Response(await env.FLAKY.getByName(name).hello());
  } catch (e) {
    return new Response("failed: " + e.message, { status: 500 });
  }
} };`;

let host: TestHost;
beforeAll(async () => {
  host = await startHostileHost();
  await deploy(host, "flaky", FLAKY, { durableObjects: { FLAKY: "Flaky" } });
});
afterAll(() => host?.dispose());

const get = async (path: string) => {
  const res = await host.fetch(`/apps/flaky/${path}`);
  return { status: res.status, text: await res.text() };
};

describe("a facet that fails to start", () => {
  it.each([
    ["ctor", /constructor failed once/],
    ["block", /startup callback failed once/],
  ])("'%s': the first request gets the error, the next one starts it", async (name, error) => {
    const first = await get(name);
    expect(first.status).toBe(500);
    expect(first.text).toMatch(error);
    expect(await get(name)).toEqual({ status: 200, text: `hello from ${name}` });
    expect(await get(name)).toEqual({ status: 200, text: `hello from ${name}` });
  });
});
