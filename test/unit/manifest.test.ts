// App folders: the manifest schema, JSONC, the committed JSON Schema, and
// loadApps (validation on real temp folders; App creation with Pulumi mocks).
import * as pulumi from "@pulumi/pulumi";
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, afterEach, beforeEach, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";

interface Made {
  type: string;
  name: string;
  inputs: Record<string, any>;
}
const made: Made[] = [];
const cache = tempDir("dw-cache-");
process.env.DYNAMIC_WORKERS_CACHE = cache.path;
pulumi.runtime.setMocks(
  {
    newResource(args) {
      made.push({ type: args.type, name: args.name, inputs: args.inputs });
      const state = { ...args.inputs };
      if (args.type.endsWith("HostWorker"))
        Object.assign(state, {
          controlToken: "mock-token",
          secretsKey: "mock-secrets-key",
          namespaceIds: { CATALOG: "ns1" },
        });
      return { id: `${args.name}-id`, state };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);

const { Platform, loadApps, ManifestError } = await import("../../provider/index.js");
const { appManifestJsonSchemaText, didYouMean, parseManifest, readAppFolders, stripJsonc } = await import(
  "../../provider/gitops/manifest.js"
);

afterAll(() => cache.remove());

const CODE = "export default { fetch() { return new Response('ok'); } };\n";
let root: { path: string; remove(): void };
beforeEach(() => {
  root = tempDir("dw-apps-");
});
afterEach(() => root.remove());

/** An app folder: files by relative path. */
function folder(name: string, files: Record<string, string>): void {
  for (const [rel, text] of Object.entries(files)) {
    const p = join(root.path, name, rel);
    mkdirSync(join(p, ".."), { recursive: true });
    writeFileSync(p, text);
  }
}

function problemsOf(fn: () => unknown): { folder: string; file: string | null; path: string; message: string }[] {
  try {
    fn();
  } catch (e) {
    if (e instanceof ManifestError)
      return e.problems.map((p) => ({ ...p, folder: p.folder.slice(root.path.length + 1) }));
    throw e;
  }
  throw new Error("no ManifestError thrown");
}

describe("stripJsonc", () => {
  it("drops comments and trailing commas, keeping strings and line numbers", () => {
    const text = `{
  // a comment, "with quotes"
  "url": "http://x/*not a comment*/", /* block
  comment */ "a": [1, 2,],
  "s": "a \\" // still a string,]",
  "o": { "k": 1, },
}`;
    const stripped = stripJsonc(text);
    expect(stripped.split("\n").length).toBe(text.split("\n").length);
    expect(JSON.parse(stripped)).toEqual({
      url: "http://x/*not a comment*/",
      a: [1, 2],
      s: 'a " // still a string,]',
      o: { k: 1 },
    });
  });

  it("leaves valid JSON as it is", () => {
    const text = '{"a": [1, {"b": "c,}"}], "d": "\\\\"}';
    expect(stripJsonc(text)).toBe(text);
  });
});

describe("parseManifest", () => {
  it("takes every field, and $schema", () => {
    const r = parseManifest(
      JSON.stringify({
        $schema: "../schema/app.schema.json",
        name: "todo",
        entry: "src/main.ts",
        durableObject: "TodoList",
        compatibilityDate: "2026-07-01",
        compatibilityFlags: ["nodejs_compat"],
        env: { GREETING: "hi" },
        quota: { maxObjects: 5 },
        outbound: { allow: ["api.example.com"] },
        dataOnDelete: "delete",
        tags: ["disposable"],
      }),
    );
    expect(r.problems).toEqual([]);
    expect(r.manifest).toMatchObject({
      name: "todo",
      quota: { maxObjects: 5 },
      dataOnDelete: "delete",
      tags: ["disposable"],
    });
  });

  it("names each bad field and what is allowed", () => {
    const r = parseManifest(
      JSON.stringify({
        name: "Bad_Name",
        quota: { maxObjects: -1, maxObject: 3 },
        dataOnDelete: "drop",
        outbound: { allow: ["http://x.com/"] },
        tags: ["ok", "No"],
        colour: "red",
      }),
    );
    const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
    expect(byPath.name).toMatch(/DNS label/);
    expect(byPath["quota.maxObjects"]).toMatch(/>=0/);
    expect(byPath["quota.maxObject"]).toMatch(/not an allowed field/);
    expect(byPath.dataOnDelete).toMatch(/"retain"\|"delete"/);
    expect(byPath.outbound ?? byPath["outbound.allow[0]"]).toBeDefined();
    expect(byPath["tags[1]"]).toMatch(/1-32 characters of a-z/);
    expect(byPath.colour).toMatch(/allowed fields: \$schema, name, entry, durableObject/);
  });

  it("offers the field a misspelled one was likely meant to be, at the top and nested", () => {
    const r = parseManifest(
      JSON.stringify({ durableObjcet: "Notes", Quota: {}, outbound: "none", quota: { maxObject: 3 }, colour: "red" }),
    );
    const byPath = Object.fromEntries(r.problems.map((p) => [p.path, p.message]));
    expect(byPath.durableObjcet).toMatch(/^is not a manifest field; did you mean 'durableObject'\?; allowed fields: /);
    expect(byPath.Quota).toMatch(/did you mean 'quota'\?/);
    expect(byPath["quota.maxObject"]).toMatch(
      /^is not an allowed field here; did you mean 'maxObjects'\?; allowed fields: .*maxStorageBytes/,
    );
    // Nothing near: no guess, the list only.
    expect(byPath.colour).not.toMatch(/did you mean/);
    expect(didYouMean("enviroment", ["env", "entry"])).toBeUndefined();
    expect(didYouMean("entyr", ["env", "entry"])).toBe("entry");
  });

  it("refuses env names the host reserves, and __proto__", () => {
    const r = parseManifest('{"env": {"OBJECTS": "x", "__proto__": "y"}}');
    expect(r.problems.map((p) => p.path).sort()).toEqual(["env.OBJECTS", 'env["__proto__"]']);
  });

  it("says comments need app.jsonc", () => {
    expect(parseManifest('{ // c\n"name": "a" }').problems[0]!.message).toMatch(/not valid JSON.*app\.jsonc/);
    expect(parseManifest('{ // c\n"name": "a", }', { jsonc: true }).manifest).toEqual({ name: "a" });
  });
});

describe("readAppFolders", () => {
  it("reads every folder with a manifest, defaults the name to the folder's, and skips the others", () => {
    folder("hello", { "app.json": "{}", "index.ts": CODE });
    folder("todo", {
      "app.jsonc": '{\n  // state\n  "durableObject": "TodoList",\n  "entry": "src/worker.ts",\n}',
      "src/worker.ts": CODE,
    });
    folder("notes", { "README.md": "no manifest" });
    folder(".hidden", { "app.json": "{}", "index.ts": CODE });
    const apps = readAppFolders(root.path);
    expect(apps.map((a) => [a.name, a.file, a.source.slice(root.path.length + 1)])).toEqual([
      ["hello", "app.json", "hello"],
      ["todo", "app.jsonc", join("todo", "src/worker.ts")],
    ]);
    expect(apps[1]!.manifest.durableObject).toBe("TodoList");
  });

  it("reports every bad folder together, each with its file, field and what is allowed", () => {
    folder("good", { "app.json": "{}", "index.ts": CODE });
    folder("quota", { "app.json": '{"quota": {"requestsPerMinute": 0}}', "index.ts": CODE });
    folder("syntax", { "app.json": '{"name": "x",}', "index.ts": CODE });
    folder("Upper", { "app.json": "{}", "index.ts": CODE });
    folder("noentry", { "app.json": "{}", "main.ts": CODE });
    folder("badentry", { "app.json": '{"entry": "../good/index.ts"}' });
    folder("missing", { "app.json": '{"entry": "src/nope.ts"}' });
    folder("both", { "app.json": "{}", "app.jsonc": "{}", "index.ts": CODE });
    const problems = problemsOf(() => readAppFolders(root.path));
    const line = (f: string) => problems.filter((p) => p.folder === f).map((p) => `${p.file}: ${p.path}: ${p.message}`);
    expect(line("quota")).toEqual([expect.stringMatching(/^app\.json: quota\.requestsPerMinute: .*>=1/)]);
    expect(line("syntax")).toEqual([expect.stringMatching(/^app\.json: \(root\): is not valid JSON/)]);
    expect(line("Upper")).toEqual([
      expect.stringMatching(/name: is not set and the folder name 'Upper' is not a valid app name .*set "name"/),
    ]);
    expect(line("noentry")).toEqual([expect.stringMatching(/entry: is not set and the folder has none of index\.ts/)]);
    expect(line("badentry")).toEqual([expect.stringMatching(/entry: must stay inside the app folder/)]);
    expect(line("missing")).toEqual([expect.stringMatching(/entry: 'src\/nope\.ts' is not a file/)]);
    expect(line("both")).toEqual([expect.stringMatching(/null: \(root\): holds both app\.json and app\.jsonc/)]);
    expect(problems.some((p) => p.folder === "good")).toBe(false);
    let message = "";
    try {
      readAppFolders(root.path);
    } catch (e) {
      message = (e as Error).message;
    }
    expect(message).toMatch(/^7 app folders under '.*' are not valid; no app was declared:\n/);
    expect(message).toContain(`${join(root.path, "quota", "app.json")}: quota.requestsPerMinute: `);
  });

  it("refuses two folders that declare the same app name", () => {
    folder("a", { "app.json": '{"name": "shop"}', "index.ts": CODE });
    folder("b", { "app.json": '{"name": "shop"}', "index.ts": CODE });
    const problems = problemsOf(() => readAppFolders(root.path));
    expect(problems.map((p) => [p.folder, p.path])).toEqual([
      ["a", "name"],
      ["b", "name"],
    ]);
    expect(problems[0]!.message).toMatch(/'shop' is also the name of .*b; app names must be unique/);
  });

  it("says when the directory does not exist", () => {
    expect(() => readAppFolders(join(root.path, "nope"))).toThrow(/is not a directory/);
  });
});

describe("schema/app.schema.json", () => {
  it("is what scripts/gen-schema.mjs generates now (run `npm run gen:schema` after changing a schema)", () => {
    expect(readFileSync(join(import.meta.dirname, "../../schema/app.schema.json"), "utf8")).toBe(
      appManifestJsonSchemaText(),
    );
  });

  it("refuses unknown fields and names the reused field patterns", () => {
    const schema = JSON.parse(appManifestJsonSchemaText());
    expect(schema.additionalProperties).toBe(false);
    expect(schema.properties.name.pattern).toBe("^[a-z][a-z0-9-]{0,62}$");
    expect(schema.properties.dataOnDelete.enum).toEqual(["retain", "delete"]);
    expect(schema.properties.quota.additionalProperties).toBe(false);
  });
});

describe("loadApps", () => {
  const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

  it("declares one App per folder with the manifest's settings", async () => {
    folder("hello", {
      "app.json": '{"env": {"GREETING": "hi"}, "quota": {"requestsPerMinute": 60}}',
      "index.ts": CODE,
    });
    folder("todo", {
      "app.jsonc":
        '{ "name": "todos", "durableObject": "TodoList", "dataOnDelete": "delete", "tags": ["disposable"], "outbound": {"allow": ["api.example.com"]}, }',
      "index.ts": `import { DurableObject } from 'cloudflare:workers';\nexport class TodoList extends DurableObject {}\n${CODE}`,
    });
    const platform = new Platform("p", { accountId: "local" });
    const apps = loadApps(platform, root.path, { secrets: { hello: { TOKEN: "s" } }, resourcePrefix: "app-" });
    expect(Object.keys(apps)).toEqual(["hello", "todos"]);
    expect(await value(apps.todos!.name)).toBe("todos");
    await value(apps.hello!.versionHash);
    await new Promise((r) => setTimeout(r, 50));
    const app = (n: string) => made.find((m) => m.type.endsWith(":App") && m.name === n)!;
    expect(app("app-hello").inputs).toMatchObject({
      name: "hello",
      code: { env: { GREETING: "hi" } },
    });
    expect(app("app-hello").inputs.settings).toEqual({ quota: { requestsPerMinute: 60 } });
    expect(app("app-todos").inputs).toMatchObject({
      name: "todos",
      code: { durableObject: "TodoList" },
      settings: { dataOnDelete: "delete", tags: ["disposable"], outbound: { allow: ["api.example.com"] } },
    });
  });

  it("creates no App when any folder is bad", async () => {
    folder("fine", { "app.json": "{}", "index.ts": CODE });
    folder("bad", { "app.json": '{"quota": {"cpuMs": "fast"}}', "index.ts": CODE });
    const platform = new Platform("p2", { accountId: "local" });
    expect(() => loadApps(platform, root.path, { resourcePrefix: "p2-" })).toThrow(
      /bad[/\\]app\.json: quota\.cpuMs: .*number/,
    );
    await value(platform.controlUrl);
    await new Promise((r) => setTimeout(r, 50));
    expect(made.filter((m) => m.type.endsWith(":App") && m.name.startsWith("p2-"))).toEqual([]);
  });

  it("refuses secrets for an app no folder declares", () => {
    folder("fine", { "app.json": "{}", "index.ts": CODE });
    const platform = new Platform("p3", { accountId: "local" });
    expect(() => loadApps(platform, root.path, { secrets: { fien: { K: "v" } } })).toThrow(
      /secrets\.fien: no app folder declares the app 'fien' \(apps: fine\)/,
    );
  });
});
