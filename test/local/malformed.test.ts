// Malformed requests to the local target itself: a Host port out of range
// or a script name that is not valid percent-encoding gets a 400 that says
// which, and the target keeps serving (an uncaught exception in its request
// handler would stop the whole process).
import http from "node:http";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { esm, startTarget, type Started, upload, DATE } from "./helpers.js";

let t: Started;
beforeAll(async () => {
  t = await startTarget({ quiet: true });
  await upload(
    t.cf,
    "hello",
    { main_module: "index.js", compatibility_date: DATE },
    esm(`export default { fetch() { return new Response("hello"); } };`),
  );
});
afterAll(() => t?.stop());

function raw(host: string, path: string): Promise<{ status: number; text: string }> {
  const base = new URL(t.target.url);
  return new Promise((resolve, reject) => {
    const req = http.request(
      { host: base.hostname, port: base.port, path, headers: { host }, agent: false, timeout: 10_000 },
      (res) => {
        let text = "";
        res.setEncoding("utf8");
        res.on("data", (c: string) => (text += c));
        res.on("end", () => resolve({ status: res.statusCode ?? 0, text }));
      },
    );
    req.on("error", reject);
    req.end();
  });
}

describe("malformed requests to the local target", () => {
  it("answer 400 naming what is wrong, and the target keeps serving", async () => {
    const port = await raw("hello.localhost:99999", "/");
    expect(port.status).toBe(400);
    expect(port.text).toMatch(/Host header's port \(99999\)/);
    const name = await raw("127.0.0.1", "/_scripts/%E0%A4%A/");
    expect(name.status).toBe(400);
    expect(name.text).toMatch(/script name .* is not valid percent-encoding/);
    expect((await raw("127.0.0.1", "/_scripts/")).status).toBe(404);
    expect(await raw(`hello.localhost:${new URL(t.target.url).port}`, "/")).toEqual({ status: 200, text: "hello" });
  });
});
