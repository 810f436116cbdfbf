// The version hash rule, checked against an independent reading of its
// documentation (node:crypto, written out by hand) and for its invariances.
import { createHash, createHmac } from "node:crypto";
import { describe, expect, it } from "vitest";
import { prepareVersion } from "../../provider/control-client/client.js";
import { AppVersionSpec } from "../../provider/shared/schema/index.js";
import { buildVersion, canonicalVersionText, moduleBytes, moduleContent } from "../../provider/shared/version-hash.js";

const sha = (b: string | Buffer) => createHash("sha256").update(b).digest("hex");

describe("version hash", () => {
  it("follows the documented rule", async () => {
    const wasm = Buffer.from([0, 97, 115, 109, 1, 0, 0, 0]);
    const p = await prepareVersion({
      mainModule: "index.js",
      modules: {
        "index.js": { type: "js", content: "export default {}" },
        "a/b.wasm": { type: "wasm", content: wasm.toString("base64") },
        "t.txt": { type: "text", content: "héllo" },
      },
      compatibilityDate: "2026-07-01",
      compatibilityFlags: ["nodejs_compat", "global_navigator", "nodejs_compat"],
      durableObject: "Room",
      env: { Z: "1", A: "2" },
    });
    const text = JSON.stringify([
      "dynamic-workers/version/1",
      "index.js",
      "2026-07-01",
      ["global_navigator", "nodejs_compat"],
      "Room",
      [
        ["A", "2"],
        ["Z", "1"],
      ],
      [
        ["a/b.wasm", "wasm", sha(wasm)],
        ["index.js", "js", sha("export default {}")],
        ["t.txt", "text", sha(Buffer.from("héllo", "utf8"))],
      ],
    ]);
    expect(canonicalVersionText(p.manifest)).toBe(text);
    expect(p.versionHash).toBe(sha(text));
    expect(p.manifest.modules["a/b.wasm"]!.size).toBe(8);
  });

  it("digests secrets with HMAC under the platform's key (rule 2), and keeps them out of the manifest", async () => {
    const key = "k".repeat(64);
    const p = await prepareVersion(
      {
        mainModule: "index.js",
        modules: { "index.js": { type: "js", content: "export default {}" } },
        compatibilityDate: "2026-07-01",
        env: { MODE: "x" },
        secrets: { PIN: "4821", API: "a" },
      },
      key,
    );
    const digest = createHmac("sha256", Buffer.from(key, "utf8"))
      .update(
        JSON.stringify([
          ["API", "a"],
          ["PIN", "4821"],
        ]),
      )
      .digest("hex");
    const text = JSON.stringify([
      "dynamic-workers/version/2",
      "index.js",
      "2026-07-01",
      [],
      null,
      [["MODE", "x"]],
      digest,
      [["index.js", "js", sha("export default {}")]],
    ]);
    expect(p.manifest.secrets).toEqual({ names: ["API", "PIN"], digest });
    expect(canonicalVersionText(p.manifest)).toBe(text);
    expect(p.versionHash).toBe(sha(text));
    expect(JSON.stringify(p.manifest)).not.toContain("4821");
    // A version without secrets hashes as rule 1 always did: upgrading changes no such app's hash.
    const plain = await prepareVersion({
      mainModule: "index.js",
      modules: { "index.js": { type: "js", content: "export default {}" } },
      compatibilityDate: "2026-07-01",
    });
    expect(canonicalVersionText(plain.manifest)).toMatch(/^\["dynamic-workers\/version\/1",/);
    expect("secrets" in plain.manifest).toBe(false);
  });

  it("does not depend on the order of modules, env or flags", async () => {
    const a = await prepareVersion({
      mainModule: "m.js",
      modules: { "m.js": { type: "js", content: "1" }, "n.js": { type: "js", content: "2" } },
      compatibilityDate: "2026-07-01",
      compatibilityFlags: ["url_standard", "global_navigator"],
      env: { A: "1", B: "2" },
    });
    const b = await prepareVersion({
      mainModule: "m.js",
      modules: { "n.js": { type: "js", content: "2" }, "m.js": { type: "js", content: "1" } },
      compatibilityDate: "2026-07-01",
      compatibilityFlags: ["global_navigator", "url_standard"],
      env: { B: "2", A: "1" },
    });
    expect(a.versionHash).toBe(b.versionHash);
  });

  it("changes with every part of the version", async () => {
    const base = {
      mainModule: "m.js",
      modules: { "m.js": { type: "js" as const, content: "1" } },
      compatibilityDate: "2026-07-01",
    };
    const hashes = await Promise.all(
      [
        base,
        { ...base, modules: { "m.js": { type: "js" as const, content: "2" } } },
        { ...base, modules: { ...base.modules, x: { type: "text" as const, content: "1" } } },
        { ...base, modules: { ...base.modules, x: { type: "json" as const, content: "1" } } },
        { ...base, compatibilityDate: "2026-07-02" },
        { ...base, compatibilityFlags: ["url_standard"] },
        { ...base, durableObject: "X" },
        { ...base, env: { A: "" } },
      ].map(async (s) => (await prepareVersion(s)).versionHash),
    );
    expect(new Set(hashes).size).toBe(hashes.length);
  });

  it("is the same whether a module comes with content or only its sha256 (the host's case)", async () => {
    const spec = {
      mainModule: "m.js",
      modules: { "m.js": { type: "js" as const, content: "1" } },
      compatibilityDate: "2026-07-01",
    };
    const client = await prepareVersion(spec);
    const bySha = AppVersionSpec.parse({ ...spec, modules: { "m.js": { type: "js", sha256: sha("1") } } });
    const host = await buildVersion(bySha);
    expect(host.versionHash).toBe(client.versionHash);
    expect(host.manifest.modules["m.js"]).toEqual({ type: "js", sha256: sha("1"), size: -1 });
    expect(host.blobs).toEqual({});
    expect(Object.keys((await buildVersion(AppVersionSpec.parse(spec))).blobs)).toEqual([sha("1")]);
    await expect(buildVersion(bySha, { requireContent: true })).rejects.toThrow(/needs content/);
  });

  it("round-trips binary and text content", () => {
    const bytes = new Uint8Array(70_000).map((_, i) => (i * 31) % 256);
    const b64 = Buffer.from(bytes).toString("base64");
    expect(moduleContent("data", moduleBytes("data", b64))).toBe(b64);
    expect(moduleContent("text", moduleBytes("text", "ünïcode ✓"))).toBe("ünïcode ✓");
  });
});
