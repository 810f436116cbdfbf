// What keeps an app from starting, found at preview from real esbuild
// bundles: a Durable Object class the code does not export, an entry with no
// handler, node:* imports without nodejs_compat; and the App refuses each.
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { bundleApp } from "../../provider/bundle/bundle-app.js";
import { inlineModuleFacts } from "../../provider/bundle/inline-modules.js";
import { codeSizeIssue, startIssues } from "../../provider/bundle/start-checks.js";
import { tempDir } from "../helpers/host.js";

const dir = tempDir("dw-start-");
afterAll(() => dir.remove());

let n = 0;
async function bundled(source: string) {
  const folder = join(dir.path, `app-${n++}`);
  mkdirSync(folder);
  writeFileSync(join(folder, "index.ts"), source);
  return bundleApp(folder);
}

const NOTES = `import { DurableObject } from "cloudflare:workers";
export class NotesDb extends DurableObject {}
export default { fetch() { return new Response("ok"); } };`;

describe("startIssues", () => {
  it("passes an app that exports its handler and its declared class", async () => {
    const b = await bundled(NOTES);
    expect(b.exports).toEqual(["NotesDb", "default"]);
    expect(startIssues(b, { durableObject: "NotesDb", compatibilityFlags: [] })).toEqual([]);
    // A class and no handler: the host sends requests to object "main".
    const classOnly = await bundled(
      `import { DurableObject } from "cloudflare:workers"; export class Room extends DurableObject {}`,
    );
    expect(startIssues(classOnly, { durableObject: "Room", compatibilityFlags: [] })).toEqual([]);
  });

  it("names a declared class the code does not export, with the near miss", async () => {
    const b = await bundled(NOTES);
    expect(startIssues(b, { durableObject: "NotesDB", compatibilityFlags: [] })).toEqual([
      { path: "durableObject", message: "'NotesDB' is not exported by the app's code; did you mean 'NotesDb'?" },
    ]);
    expect(startIssues(b, { durableObject: "Chat", compatibilityFlags: [] })).toEqual([
      { path: "durableObject", message: "'Chat' is not exported by the app's code (it exports: NotesDb)" },
    ]);
  });

  it("names each declared binding whose class the code does not export", async () => {
    const b = await bundled(NOTES);
    const spec = { durableObject: null, durableObjects: { NOTES: "NotesDb", ROOMS: "notesdb", CHAT: "Chat" } };
    expect(startIssues(b, { ...spec, compatibilityFlags: [] })).toEqual([
      { path: "durableObjects.ROOMS", message: "'notesdb' is not exported by the app's code; did you mean 'NotesDb'?" },
      { path: "durableObjects.CHAT", message: "'Chat' is not exported by the app's code (it exports: NotesDb)" },
    ]);
  });

  it("refuses an entry with no handler and no class", async () => {
    const b = await bundled(`export const helper = () => 1;`);
    expect(startIssues(b, { durableObject: null, compatibilityFlags: [] }).map((i) => i.path)).toEqual(["source"]);
  });

  it("asks for nodejs_compat when the code imports node:* modules", async () => {
    const b = await bundled(
      `import { createHash } from "node:crypto"; export default { fetch() { return new Response(createHash("sha256").digest("hex")); } };`,
    );
    expect(b.nodeImports).toEqual(["node:crypto"]);
    expect(startIssues(b, { durableObject: null, compatibilityFlags: [] })).toEqual([
      { path: "compatibilityFlags", message: "the code imports node:crypto, which need the 'nodejs_compat' flag" },
    ]);
    expect(startIssues(b, { durableObject: null, compatibilityFlags: ["nodejs_compat"] })).toEqual([]);
  });
});

describe("inline modules", () => {
  const js = (content: string) => ({ type: "js", content });

  it("reads the main module's exports and every module's node:* imports, following relative imports", async () => {
    const facts = await inlineModuleFacts(
      {
        "index.js": js(
          `import { hash } from "./lib/hash.js"; export { NotesDb } from "./db.js"; export default { fetch() { return new Response(hash()); } };`,
        ),
        "db.js": js(
          `import { DurableObject } from "cloudflare:workers"; export class NotesDb extends DurableObject {}`,
        ),
        "lib/hash.js": js(
          `import { createHash } from "node:crypto"; import page from "../page.html"; export const hash = () => createHash("sha256").update(page).digest("hex");`,
        ),
        "page.html": { type: "text", content: "<p>hi</p>" },
      },
      "index.js",
    );
    expect(facts).toEqual({ exports: ["NotesDb", "default"], nodeImports: ["node:crypto"] });
    expect(startIssues(facts!, { durableObject: "NotesDB", compatibilityFlags: [], entry: "mainModule" })).toEqual([
      { path: "durableObject", message: "'NotesDB' is not exported by the app's code; did you mean 'NotesDb'?" },
      { path: "compatibilityFlags", message: "the code imports node:crypto, which need the 'nodejs_compat' flag" },
    ]);
    expect(startIssues(facts!, { durableObject: "NotesDb", compatibilityFlags: ["nodejs_compat"] })).toEqual([]);
  });

  it("refuses a main module with no handler, naming mainModule", async () => {
    const facts = await inlineModuleFacts({ "main.js": js("export const x = 1;") }, "main.js");
    expect(startIssues(facts!, { durableObject: null, compatibilityFlags: [], entry: "mainModule" })).toEqual([
      expect.objectContaining({ path: "mainModule" }),
    ]);
  });

  it("names the module, line and column of a syntax error", async () => {
    await expect(
      inlineModuleFacts({ "index.js": js(`import "./b.js"; export default {};`), "b.js": js("let = ;") }, "index.js"),
    ).rejects.toThrow(/cannot read the inline modules: module 'b\.js' 1:7: Unexpected ";"/);
  });

  it("leaves a main module that is not an ES module to the version schema", async () => {
    expect(await inlineModuleFacts({ "index.js": { type: "text", content: "x" } }, "index.js")).toBeNull();
    expect(await inlineModuleFacts({ "a.js": js("export default {}") }, "index.js")).toBeNull();
  });
});

describe("codeSizeIssue", () => {
  it("names the largest modules in KB/MB when the code is over the cap", () => {
    expect(codeSizeIssue({ "index.js": { size: 1000 } })).toBeNull();
    const mb = 1024 * 1024;
    expect(
      codeSizeIssue({
        "index.js": { size: 20 * mb },
        "a.wasm": { size: 5 * mb + 512 * 1024 },
        "b.txt": { size: 2048 },
      }),
    ).toEqual({
      path: "modules",
      message: "the code is 25.5 MB (index.js 20.0 MB, a.wasm 5.5 MB, b.txt 2.0 KB); at most 24.0 MB is allowed",
    });
  });
});
