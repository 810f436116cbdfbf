// Module and source contents reach the host in pieces of at most
// MODULE_CHUNK_BYTES (PUT /apps/:app/modules/:sha256?chunk=i&of=n), hashed
// piece by piece, so no control request buffers a whole version (issue 17:
// 128 MB per isolate on Cloudflare). JSON bodies are capped at 4 MiB.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { MODULE_CHUNK_BYTES } from "../../provider/shared/control/requests.js";
import { sha256Hex } from "../../provider/shared/version-hash.js";
import { jsApp, refusal, startHost, TOKEN, type TestHost } from "../helpers/host.js";

let host: TestHost;
beforeAll(async () => {
  host = await startHost();
  await host.control.putApp("big");
});
afterAll(() => host?.dispose());

/** Deterministic bytes that do not compress to nothing. */
function bytesOf(n: number, seed: number): Uint8Array {
  const out = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    out[i] = 97 + ((x >>> 16) % 26);
  }
  return out;
}

const put = (sha: string, chunk: number, of: number, body: Uint8Array) =>
  host.fetch(`/_control/v1/apps/big/modules/${sha}?chunk=${chunk}&of=${of}`, {
    method: "PUT",
    headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/octet-stream" },
    body,
  });

describe("contents in pieces", () => {
  it("deploys a 5 MiB module sent in 1 MiB pieces, and serves it", async () => {
    const text = new TextDecoder().decode(bytesOf(5 * 1024 * 1024 + 17, 1));
    const version = {
      ...jsApp(`import big from "./big.txt"; export default { fetch() { return new Response(String(big.length)); } };`),
      modules: {
        "index.js": {
          type: "js" as const,
          content: `import big from "./big.txt"; export default { fetch() { return new Response(String(big.length)); } };`,
        },
        "big.txt": { type: "text" as const, content: text },
      },
    };
    await host.control.rollOut("big", version);
    expect(await (await host.fetch("/apps/big/")).text()).toBe(String(text.length));
    expect(await host.control.missingModules("big", [await sha256Hex(text)])).toEqual([]);
  });

  it("takes pieces in any order and a retried piece, storing the content once all are in", async () => {
    const bytes = bytesOf(2 * MODULE_CHUNK_BYTES + 5, 2);
    const sha = await sha256Hex(bytes);
    const piece = (i: number) => bytes.subarray(i * MODULE_CHUNK_BYTES, (i + 1) * MODULE_CHUNK_BYTES);
    expect(await (await put(sha, 2, 3, piece(2))).json()).toEqual({ sha256: sha, received: 1, of: 3, stored: false });
    expect(await (await put(sha, 0, 3, piece(0))).json()).toMatchObject({ received: 2, stored: false });
    expect(await (await put(sha, 0, 3, piece(0))).json()).toMatchObject({ received: 2, stored: false });
    expect(await host.control.missingModules("big", [sha])).toEqual([sha]);
    expect(await (await put(sha, 1, 3, piece(1))).json()).toMatchObject({ received: 3, stored: true });
    expect(await host.control.missingModules("big", [sha])).toEqual([]);
  });

  it("refuses pieces that do not hash to the digest, and keeps nothing of them", async () => {
    const bytes = bytesOf(MODULE_CHUNK_BYTES + 1, 3);
    const wrong = "a".repeat(64);
    await put(wrong, 0, 2, bytes.subarray(0, MODULE_CHUNK_BYTES));
    const res = await put(wrong, 1, 2, bytes.subarray(MODULE_CHUNK_BYTES));
    expect(res.status).toBe(400);
    const body = (await res.json()) as { error: { code: string; message: string } };
    expect(body.error).toMatchObject({ code: "invalid_request", message: expect.stringMatching(/not a{64}/) });
    expect(await host.control.missingModules("big", [wrong])).toEqual([wrong]);
  });

  it("refuses a piece over MODULE_CHUNK_BYTES, a short piece before the last, and a bad query", async () => {
    const sha = "b".repeat(64);
    const over = await put(sha, 0, 2, new Uint8Array(MODULE_CHUNK_BYTES + 1));
    expect(over.status).toBe(413);
    const short = await put(sha, 0, 2, new Uint8Array(10));
    expect(short.status).toBe(400);
    expect(((await short.json()) as { error: { message: string } }).error.message).toMatch(/every piece but the last/);
    const bad = await put(sha, 3, 2, new Uint8Array(1));
    expect(((await bad.json()) as { error: { issues: { path: string }[] } }).error.issues[0]!.path).toBe("query.chunk");
    const tooMany = await put(sha, 0, 1000, new Uint8Array(1));
    expect(((await tooMany.json()) as { error: { issues: { path: string }[] } }).error.issues[0]!.path).toBe(
      "query.of",
    );
  });

  it("refuses a JSON body over 4 MiB, naming the piece route", async () => {
    const e = await refusal(
      host.control.request("POST", "/apps/big/versions", {
        ...jsApp("export default {}"),
        modules: {
          "index.js": { type: "js", content: "export default {}" },
          "big.txt": { type: "text", content: "x".repeat(4 * 1024 * 1024) },
        },
      }),
    );
    expect(e.status).toBe(413);
    expect(e.message).toMatch(/modules\/:sha256\?chunk=i&of=n/);
  });

  it("refuses pieces for an app that does not exist", async () => {
    const res = await host.fetch(`/_control/v1/apps/nobody/modules/${"c".repeat(64)}?chunk=0&of=1`, {
      method: "PUT",
      headers: { authorization: `Bearer ${TOKEN}` },
      body: new Uint8Array(1),
    });
    expect(res.status).toBe(404);
  });
});
