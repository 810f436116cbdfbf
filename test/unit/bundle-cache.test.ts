// The bundle cache on real files and real esbuild: reused only while every
// input, the folders holding them and the config files keep their stamps.
import { readdirSync, rmSync, statSync, utimesSync, writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { bundleAppCached } from "../../provider/bundle/bundle-cache.js";
import { ModuleCache } from "../../provider/bundle/bundle-app.js";
import { tempDir } from "../helpers/host.js";

let app: { path: string; remove(): void };
let store: { path: string; remove(): void };
let cache: ModuleCache;

/** Writes a file dated `ago` ms in the past (older than the cache's racy window). */
function write(rel: string, text: string, ago = 60_000): void {
  const path = join(app.path, rel);
  writeFileSync(path, text);
  age(rel, ago);
}
function age(rel: string, ago = 60_000): void {
  const t = new Date(Date.now() - ago);
  utimesSync(join(app.path, rel), t, t);
}
const text = async () => (await bundleAppCached(app.path, cache)).modules["index.js"]!.content;
const records = () => readdirSync(join(store.path, "bundles")).filter((f) => f.endsWith(".json"));

beforeEach(() => {
  app = tempDir("dw-bc-app-");
  store = tempDir("dw-bc-cache-");
  cache = new ModuleCache(store.path);
  write("index.ts", 'import { word } from "./word";\nexport default { fetch() { return new Response(word); } };\n');
  write("word.js", 'export const word = "one";\n');
  age(".");
});
afterEach(() => {
  app.remove();
  store.remove();
});

/** Rewrites word.js keeping its size and mtime: only a rebuilt bundle shows the new word. */
function sneakyEdit(word: string): void {
  const path = join(app.path, "word.js");
  const { mtime, size } = statSync(path);
  const next = `export const word = "${word}";\n`;
  expect(Buffer.byteLength(next)).toBe(size);
  writeFileSync(path, next);
  utimesSync(path, mtime, mtime);
}

describe("bundleAppCached", () => {
  it("reuses the bundle while its inputs keep size and mtime, and bundles again after a real edit", async () => {
    expect(await text()).toContain('"one"');
    expect(records()).toHaveLength(1);
    sneakyEdit("two");
    expect(await text()).toContain('"one"');
    write("word.js", 'export const word = "three";\n', 30_000);
    expect(await text()).toContain('"three"');
  });

  it("bundles again when a file added beside an import changes what it resolves to", async () => {
    expect(await text()).toContain('"one"');
    // esbuild prefers word.ts over word.js for "./word".
    write("word.ts", 'export const word: string = "typed";\n');
    expect(await text()).toContain('"typed"');
  });

  it("bundles again when a tsconfig appears, or when the cached content is gone", async () => {
    expect(await text()).toContain('"one"');
    sneakyEdit("two");
    write("tsconfig.json", "{}\n");
    expect(await text()).toContain('"two"');
    sneakyEdit("six");
    for (const d of readdirSync(store.path)) if (d.length === 2) rmSync(join(store.path, d), { recursive: true });
    expect(await text()).toContain('"six"');
  });

  it("reuses in one process what it read once (a fleet of copies of one folder), still checking the stamps", async () => {
    const first = await bundleAppCached(app.path, cache);
    // The record and content gone: only the process's own memory can answer.
    rmSync(join(store.path, "bundles"), { recursive: true });
    expect(await bundleAppCached(app.path, cache)).toBe(first);
    write("word.js", 'export const word = "seven";\n', 30_000);
    expect(await text()).toContain('"seven"');
  });

  it("keeps no record of a bundle whose inputs changed just before it", async () => {
    write("word.js", 'export const word = "fresh";\n', 0);
    expect(await text()).toContain('"fresh"');
    expect(() => records()).toThrow();
  });

  it("reports a syntax error with file:line:column", async () => {
    expect(await text()).toContain('"one"');
    write("word.js", "export const word = ;\n", 30_000);
    await expect(text()).rejects.toThrow(/word\.js:1:\d+/);
  });
});

describe("ModuleCache", () => {
  it("writes to its folder and reads it, then the folders it also reads", () => {
    const other = tempDir("dw-bc-other-");
    try {
      const sha = new ModuleCache(other.path).put("from elsewhere");
      expect(cache.get(sha)).toBeUndefined();
      const both = new ModuleCache(store.path, [other.path]);
      expect(both.get(sha)?.toString("utf8")).toBe("from elsewhere");
      const own = both.put("mine");
      expect(new ModuleCache(store.path).get(own)?.toString("utf8")).toBe("mine");
      expect(new ModuleCache(other.path).get(own)).toBeUndefined();
    } finally {
      other.remove();
    }
  });
});
