// A version's source files on the real host: stored beside the version,
// content-addressed with the modules, outside the version hash, dropped with
// the version, and read back only with the control token.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareVersion } from "../../provider/control-client/client.js";
import { sha256Hex } from "../../provider/shared/version-hash.js";
import { jsApp, refusal, startHost, type TestHost } from "../helpers/host.js";

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ config: { versionsKept: 1 } });
});
afterAll(() => host?.dispose());

const code = (n: number) => jsApp(`export default { fetch() { return new Response("v${n}"); } };`);

describe("version sources", () => {
  it("are stored and read back, sent by content once and by sha256 after", async () => {
    const c = host.control;
    await c.putApp("src");
    const v1 = await prepareVersion(code(1));
    await c.putVersion("src", v1);
    expect(await c.getSources("src", v1.versionHash)).toEqual({ versionHash: v1.versionHash, files: null });
    const files = { "index.ts": "export default {};\n// é ünïcode\n", "lib/util.ts": "export const x = 1;\n" };
    expect(await c.putSources("src", v1.versionHash, files)).toEqual({ files: 2 });
    expect((await c.getSources("src", v1.versionHash)).files).toEqual(files);
    // Stored content is now known to the host, so a client sends only its digest.
    expect(await c.missingModules("src", [await sha256Hex(files["lib/util.ts"])])).toEqual([]);
    // Putting again replaces the set.
    await c.putSources("src", v1.versionHash, { "index.ts": files["index.ts"] });
    expect(Object.keys((await c.getSources("src", v1.versionHash)).files!)).toEqual(["index.ts"]);
    // Sources are not part of the version: its hash and manifest are unchanged.
    const { version } = await c.getVersion("src", v1.versionHash, false);
    expect(version.versionHash).toBe(v1.versionHash);
    expect(Object.keys(version.manifest.modules)).toEqual(["index.js"]);
  });

  it("refuses a digest it does not store, a bad path, an unknown version and a missing token", async () => {
    const c = host.control;
    await c.putApp("bad");
    const v = await prepareVersion(code(2));
    await c.putVersion("bad", v);
    const path = `/apps/bad/versions/${v.versionHash}/sources`;
    const unknown = await refusal(c.request("PUT", path, { files: { "a.ts": { sha256: "a".repeat(64) } } }));
    expect(unknown.status).toBe(400);
    expect(unknown.issues).toEqual([expect.objectContaining({ path: 'files["a.ts"]' })]);
    for (const bad of ["../escape.ts", "/abs.ts", "a//b.ts", "a\\b.ts"]) {
      const e = await refusal(c.request("PUT", path, { files: { [bad]: { content: "x" } } }));
      expect(e.status, bad).toBe(400);
      expect(e.code).toBe("invalid_request");
    }
    expect((await refusal(c.getSources("bad", "b".repeat(64)))).status).toBe(404);
    expect((await refusal(c.putSources("bad", "b".repeat(64), { "a.ts": "x" }))).status).toBe(404);
    expect((await c.getSources("bad", v.versionHash)).files).toBeNull();
    const res = await host.fetch(`/_control/v1${path}`);
    expect(res.status).toBe(401);
  });

  it("are dropped with their version, and their contents with them", async () => {
    const c = host.control;
    await c.putApp("prune");
    const v1 = await prepareVersion(code(3));
    await c.putVersion("prune", v1);
    await c.deploy("prune", v1.versionHash, null);
    const only = "export const onlyInV1 = true;\n";
    await c.putSources("prune", v1.versionHash, { "index.ts": only });
    const v2 = await prepareVersion(code(4));
    await c.putVersion("prune", v2);
    await c.deploy("prune", v2.versionHash, v1.versionHash);
    // versionsKept 1: the next stored version pushes v1 (no longer current) out.
    const v3 = await prepareVersion(code(5));
    await c.putVersion("prune", v3);
    expect((await refusal(c.getSources("prune", v1.versionHash))).status).toBe(404);
    expect(await c.missingModules("prune", [await sha256Hex(only)])).toEqual([await sha256Hex(only)]);
  });
});
