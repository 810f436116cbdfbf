// Adversarial suite, anonymous storage: requests for names that are no app
// (made-up hostnames and /apps/<name>/ paths, valid app names all) must read
// and write nothing: no Durable Object, so no SQLite database, is created
// for them. Counted on disk, in the host's persisted Durable Object folder.
import { readdirSync, statSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type TestHost, startHost, tempDir } from "../helpers/host.js";
import { APPS_DOMAIN, deployBystanders, expectBystandersServing, rawHttp } from "../helpers/hostile.js";

let host: TestHost;
let dir: { path: string; remove(): void };
beforeAll(async () => {
  dir = tempDir("dw-anon-");
  host = await startHost({ config: { appsDomain: APPS_DOMAIN, cacheTtlSeconds: 0 }, persist: dir.path });
  await deployBystanders(host);
});
afterAll(async () => {
  await host?.dispose();
  dir?.remove();
});

/** Every SQLite database file under the persist folder (one per Durable Object that ever ran). */
function databases(root: string): string[] {
  const out: string[] = [];
  const walk = (d: string) => {
    for (const f of readdirSync(d)) {
      const p = join(d, f);
      if (statSync(p).isDirectory()) walk(p);
      else if (f.endsWith(".sqlite")) out.push(p);
    }
  };
  walk(root);
  return out.sort();
}

describe("names that are no app", () => {
  it("create no Durable Object and no database, by path or by hostname, and get a 404", async () => {
    await expectBystandersServing(host);
    const before = databases(dir.path);
    for (let i = 0; i < 100; i++) {
      const name = `nope-${i}-${crypto.randomUUID().slice(0, 8)}`;
      const byPath = await rawHttp(host, `/apps/${name}/`, "127.0.0.1");
      expect(byPath.status).toBe(404);
      expect(JSON.parse(byPath.text).error.code).toBe("not_found");
      const byName = await rawHttp(host, "/", `${name}.${APPS_DOMAIN}`);
      expect(byName.status).toBe(404);
    }
    expect(databases(dir.path)).toEqual(before);
    await expectBystandersServing(host);
  });

  it("a deleted app's name creates nothing either, and the name can be created again", async () => {
    const version = {
      mainModule: "index.js",
      modules: {
        "index.js": { type: "js" as const, content: `export default { fetch() { return new Response("here"); } };` },
      },
      compatibilityDate: "2026-07-01",
    };
    await host.control.rollOut("gone", version);
    expect((await rawHttp(host, "/apps/gone/", "127.0.0.1")).text).toBe("here");
    await host.control.deleteApp("gone", "delete");
    const before = databases(dir.path);
    for (let i = 0; i < 5; i++) expect((await rawHttp(host, "/apps/gone/", "127.0.0.1")).status).toBe(404);
    expect(databases(dir.path)).toEqual(before);
    await host.control.rollOut("gone", version);
    expect((await rawHttp(host, "/apps/gone/", "127.0.0.1")).text).toBe("here");
  });
});
