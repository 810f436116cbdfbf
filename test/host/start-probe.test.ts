// A version that cannot start never goes live: the host loads it once before
// making it current, refuses the deploy with what it threw, and the version
// serving keeps serving. Each failure of issue 19 is tried on the real host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import { deploy, get, startHostileHost } from "../helpers/hostile.js";

let host: TestHost;
beforeAll(async () => {
  host = await startHostileHost();
  await deploy(host, "steady", `export default { fetch() { return new Response("v1"); } };`);
});
afterAll(() => host?.dispose());

const refusal = async (source: string, extra: Parameters<typeof deploy>[3] = {}) => {
  try {
    await deploy(host, "steady", source, extra);
    return null;
  } catch (e) {
    return e as { code?: string; status?: number; message: string };
  }
};

describe("a version that cannot start", () => {
  it.each([
    ["throws when its module loads", `throw new Error("boom at load"); export default {};`, {}, /Error: boom at load/],
    [
      "declares a class its code does not export",
      `export class NotesDb {} export default { fetch() { return new Response("x"); } };`,
      { durableObject: "NotesDB" },
      /declares durableObject "NotesDB" but its main module does not export such a class/,
    ],
    [
      "imports node:crypto without nodejs_compat",
      `import { createHash } from "node:crypto"; export default { fetch() { return new Response(createHash("sha256").digest("hex")); } };`,
      {},
      /node:crypto/,
    ],
  ])("%s: the deploy is refused with its error, and the live version keeps serving", async (_, source, extra, why) => {
    const r = await refusal(source, extra);
    expect(r?.code).toBe("start_failed");
    expect(r?.message).toMatch(/does not start, so it was not deployed/);
    expect(r?.message).toMatch(why);
    expect(await get(host, "/apps/steady/")).toEqual({ status: 200, text: "v1" });
  });

  it("does not stop a good version from going live next", async () => {
    expect(await refusal(`export default { fetch() { return new Response("v2"); } };`)).toBeNull();
    expect(await get(host, "/apps/steady/")).toEqual({ status: 200, text: "v2" });
  });
});
