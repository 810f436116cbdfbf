// An app folder's Wrangler file: what the platform takes from it, and every
// refusal naming the file, the field and why, before anything is deployed.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundleApp } from "../../provider/bundle/bundle-app.js";
import { readWranglerConfig } from "../../provider/bundle/wrangler-config.js";
import { tempDir } from "../helpers/host.js";

const root = tempDir("dw-wrangler-");
afterAll(() => root.remove());
let n = 0;
function folder(files: Record<string, string>): string {
  const dir = join(root.path, `app${n++}`);
  mkdirSync(dir, { recursive: true });
  for (const [f, text] of Object.entries(files)) {
    mkdirSync(join(dir, f, ".."), { recursive: true });
    writeFileSync(join(dir, f), text);
  }
  return dir;
}

describe("readWranglerConfig", () => {
  it("takes main, compatibility settings, Durable Object bindings, vars and limits from wrangler.jsonc", () => {
    const dir = folder({
      "wrangler.jsonc": `{
        // comments and trailing commas, as wrangler takes them
        "$schema": "node_modules/wrangler/config-schema.json",
        "name": "chat",
        "main": "src/index.ts",
        "compatibility_date": "2026-05-01",
        "compatibility_flags": ["nodejs_compat"],
        "durable_objects": { "bindings": [{ "name": "ROOMS", "class_name": "ChatRoom" }] },
        "migrations": [{ "tag": "v1", "new_sqlite_classes": ["ChatRoom"] }],
        "vars": { "GREETING": "hi" },
        "limits": { "cpu_ms": 100 },
        "observability": { "enabled": true },
      }`,
    });
    expect(readWranglerConfig(dir)).toEqual({
      file: "wrangler.jsonc",
      main: "src/index.ts",
      compatibilityDate: "2026-05-01",
      compatibilityFlags: ["nodejs_compat"],
      durableObjects: { ROOMS: "ChatRoom" },
      env: { GREETING: "hi" },
      cpuMs: 100,
      ignored: ["$schema", "name", "observability"],
    });
  });

  it("reads wrangler.toml, and prefers wrangler.json over wrangler.jsonc over wrangler.toml", () => {
    const toml = folder({
      "wrangler.toml": `main = "index.js"\ncompatibility_date = "2026-01-01"\n[[durable_objects.bindings]]\nname = "C"\nclass_name = "Counter"\n[vars]\nA = "1"\n`,
    });
    expect(readWranglerConfig(toml)).toMatchObject({
      file: "wrangler.toml",
      durableObjects: { C: "Counter" },
      env: { A: "1" },
    });
    const both = folder({
      "wrangler.json": `{ "main": "a.js" }`,
      "wrangler.jsonc": `{ "main": "b.js" }`,
      "wrangler.toml": `main = "c.js"`,
    });
    expect(readWranglerConfig(both)).toMatchObject({ file: "wrangler.json", main: "a.js" });
  });

  it("is null for a folder without one, or a file", () => {
    expect(readWranglerConfig(folder({ "index.js": "" }))).toBeNull();
    expect(readWranglerConfig(join(folder({ "index.js": "" }), "index.js"))).toBeNull();
  });

  it("refuses every binding the platform does not give, naming it and what it gives", () => {
    const dir = folder({
      "wrangler.jsonc": JSON.stringify({
        main: "index.js",
        kv_namespaces: [{ binding: "KV", id: "x" }],
        d1_databases: [],
        r2_buckets: [],
        queues: {},
        services: [],
        ai: { binding: "AI" },
        vectorize: [{ binding: "V", index_name: "x" }],
      }),
    });
    let message = "";
    try {
      readWranglerConfig(dir);
    } catch (e) {
      message = (e as Error).message;
    }
    for (const field of ["kv_namespaces", "d1_databases", "r2_buckets", "queues", "services", "ai", "vectorize"]) {
      expect(message).toContain(`${field}: `);
    }
    expect(message).toMatch(
      /^wrangler\.jsonc: kv_namespaces: KV namespaces are not offered; this platform gives apps Durable Objects, vars, secrets, static assets and crons/,
    );
  });

  it("names the field of every bad value, and syntax errors by line and column", () => {
    const refusal = (files: Record<string, string>) => {
      try {
        readWranglerConfig(folder(files));
        return "accepted";
      } catch (e) {
        return (e as Error).message;
      }
    };
    expect(refusal({ "wrangler.jsonc": `{ "main": "index.js", }}` })).toMatch(
      /^wrangler\.jsonc: not valid JSONC at line 1, column 24/,
    );
    expect(refusal({ "wrangler.json": `{ // no comments in JSON\n "main": "a.js" }` })).toMatch(
      /^wrangler\.json: not valid JSON at line 1/,
    );
    expect(refusal({ "wrangler.toml": `main = ` })).toMatch(/^wrangler\.toml: not valid TOML/);
    expect(
      refusal({ "wrangler.json": `{ "durable_objects": { "bindings": [{ "name": "1X", "class_name": "A" }] } }` }),
    ).toMatch(/durable_objects\.bindings\[0\]\.name: must be an identifier/);
    expect(refusal({ "wrangler.json": `{ "compatibility_date": "2026-13-01" }` })).toMatch(
      /compatibility_date: must be a real calendar date/,
    );
    expect(refusal({ "wrangler.json": `{ "vars": { "N": 3 } }` })).toMatch(
      /vars\.N: must be a string: app vars are text/,
    );
    expect(refusal({ "wrangler.json": `{ "mian": "index.js" }` })).toMatch(
      /mian: not a field this platform reads from a Wrangler file/,
    );
    expect(
      refusal({
        "wrangler.json": JSON.stringify({
          durable_objects: { bindings: [{ name: "ROOMS", class_name: "ChatRoom" }] },
          migrations: [{ tag: "v1", new_sqlite_classes: ["Chatroom"] }],
        }),
      }),
    ).toMatch(/migrations\[0\]: class 'Chatroom' has no durable_objects binding \(bound: ChatRoom\)/);
    expect(
      refusal({
        "wrangler.json": JSON.stringify({
          durable_objects: { bindings: [{ name: "R", class_name: "X", script_name: "other" }] },
        }),
      }),
    ).toMatch(/durable_objects\.bindings\[0\]\.script_name: objects of another Worker are not offered/);
  });
});

describe("Wrangler's default module rules", () => {
  it("import .html, .txt and .sql files as their text", async () => {
    const dir = folder({
      "index.js": `import page from "./page.html"; import schema from "./schema.sql"; import note from "./note.txt";
        export default { fetch() { return new Response(page + schema + note); } };`,
      "page.html": "<h1>hi</h1>",
      "schema.sql": "CREATE TABLE t (x);",
      "note.txt": "note",
    });
    const bundle = await bundleApp(dir);
    const code = Object.values(bundle.modules)[0]!.content;
    for (const text of ["<h1>hi</h1>", "CREATE TABLE t (x);", "note"]) expect(code).toContain(text);
  });
});
