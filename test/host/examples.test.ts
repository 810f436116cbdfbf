// The quickstart apps, bundled by bundle.ts exactly as App does, on the real host.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { BundleError, bundleApp } from "../../provider/bundle/bundle-app.js";
import { startHost, tempDir, type TestHost } from "../helpers/host.js";
import { mkdirSync, writeFileSync } from "node:fs";
import { join } from "node:path";

let host: TestHost;
beforeAll(async () => {
  host = await startHost();
  for (const [app, durableObject] of [
    ["hello", null],
    ["todo", "TodoList"],
    ["chat", "ChatRoom"],
  ] as const) {
    const b = await bundleApp(`examples/quickstart/apps/${app}`);
    await host.control.rollOut(
      app,
      {
        mainModule: b.mainModule,
        modules: b.modules,
        compatibilityDate: "2026-07-01",
        durableObject,
        env: { GREETING: "hey" },
      },
      { quota: { maxObjects: 3 } },
    );
  }
});
afterAll(() => host?.dispose());

const post = (path: string, body: unknown) =>
  host.fetch(path, { method: "POST", headers: { "content-type": "application/json" }, body: JSON.stringify(body) });

describe("quickstart apps", () => {
  it("hello answers JSON", async () => {
    expect(await (await host.fetch("/apps/hello/")).json()).toMatchObject({ app: "hello", greeting: "hey" });
    expect(await (await host.fetch("/apps/hello/add?a=2&b=3")).json()).toEqual({ sum: 5 });
    expect((await host.fetch("/apps/hello/add?a=x")).status).toBe(400);
  });

  it("todo keeps items in its object", async () => {
    expect((await post("/apps/todo/todos", { text: "" })).status).toBe(400);
    expect(await (await post("/apps/todo/todos", { text: "write tests" })).json()).toMatchObject({
      id: 1,
      text: "write tests",
      done: false,
    });
    await post("/apps/todo/todos/1/done", {});
    expect(await (await host.fetch("/apps/todo/todos")).json()).toEqual([{ id: 1, text: "write tests", done: true }]);
  });

  it("chat keeps one object per room, bounded by maxObjects", async () => {
    await post("/apps/chat/rooms/a/messages", { user: "ann", text: "hi" });
    await post("/apps/chat/rooms/b/messages", { user: "bob", text: "yo" });
    expect(await (await host.fetch("/apps/chat/rooms/a/messages")).json()).toEqual([
      expect.objectContaining({ user: "ann", text: "hi" }),
    ]);
    await post("/apps/chat/rooms/c/messages", { user: "cy", text: "3" });
    expect((await post("/apps/chat/rooms/d/messages", { user: "dee", text: "4" })).status).toBe(500);
  });
});

describe("bundling", () => {
  it("is deterministic", async () => {
    const a = await bundleApp("examples/quickstart/apps/chat");
    const b = await bundleApp("examples/quickstart/apps/chat/index.ts");
    expect(a.modules).toEqual(b.modules);
  });

  it("ignores whitespace and comments in the source: same bundle, same hash", async () => {
    const dir = tempDir("dw-ws-");
    try {
      writeFileSync(join(dir.path, "index.ts"), 'export default { fetch() { return new Response("x") } };\n');
      const a = await bundleApp(dir.path);
      writeFileSync(
        join(dir.path, "index.ts"),
        '// a comment\n\nexport default {\n  fetch()   {\n    return new Response("x");\n  },\n};\n',
      );
      const b = await bundleApp(dir.path);
      expect(b.modules).toEqual(a.modules);
      writeFileSync(join(dir.path, "index.ts"), 'export default { fetch() { return new Response("y") } };\n');
      expect((await bundleApp(dir.path)).modules).not.toEqual(a.modules);
    } finally {
      dir.remove();
    }
  });

  it("names file:line:column of a syntax error and of a missing import", async () => {
    const dir = tempDir("dw-bad-");
    try {
      mkdirSync(join(dir.path, "src"));
      writeFileSync(
        join(dir.path, "index.ts"),
        'import "./src/a";\nexport default { fetch() { return new Response("x") } };\n',
      );
      writeFileSync(join(dir.path, "src", "a.ts"), "const x = ;\n");
      await expect(bundleApp(dir.path)).rejects.toThrow(/src\/a\.ts:1:11: Unexpected ";"/);
      writeFileSync(join(dir.path, "src", "a.ts"), 'import "./nope";\n');
      const e = await bundleApp(dir.path).catch((x: unknown) => x);
      expect(e).toBeInstanceOf(BundleError);
      expect((e as BundleError).locations[0]).toMatch(/^src\/a\.ts:1:8: Could not resolve "\.\/nope"/);
      await expect(bundleApp(join(dir.path, "missing"))).rejects.toThrow(/does not exist/);
      await expect(bundleApp(join(dir.path, "src"))).rejects.toThrow(/without an entry file/);
    } finally {
      dir.remove();
    }
  });
});
