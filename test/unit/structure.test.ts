// The layout rules of test/helpers/structure.ts, run on the tree as it is on
// disk (tracked files plus untracked ones git does not ignore), then on small
// synthetic trees that show each rule can fail.
import { execFileSync } from "node:child_process";
import { lstatSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { describe, expect, it } from "vitest";
import {
  appIsolateBoundary,
  checkBoundary,
  checkCycles,
  checkFileLengths,
  checkFunctionLengths,
  checkReExports,
  collectImports,
  fileLengthScope,
  formatViolations,
  functionLengthScope,
  hostBoundary,
  isCodePath,
  nodeBoundary,
  resolveSpecifier,
  sharedBoundary,
  type SourceText,
  type Violation,
} from "../helpers/structure.js";

const root = fileURLToPath(new URL("../..", import.meta.url));

function repoFiles(): SourceText[] {
  const git = (...args: string[]) =>
    execFileSync("git", ["ls-files", "-z", ...args], { cwd: root, encoding: "utf8" }).split("\0");
  const paths = new Set([...git(), ...git("--others", "--exclude-standard")]);
  // Tracked files deleted in the work tree are gone; symlinks are not sources.
  const isFile = (p: string) => lstatSync(join(root, p), { throwIfNoEntry: false })?.isFile() ?? false;
  return [...paths]
    .filter((p) => isCodePath(p) && isFile(p))
    .sort()
    .map((p) => ({ path: p, text: readFileSync(join(root, p), "utf8") }));
}

/** Asserts no violations, listing them as `file:line: what` if there are. */
function expectNone(vs: Violation[]): void {
  expect(vs.length, `${vs.length} violation(s):\n${formatViolations(vs).join("\n")}\n`).toBe(0);
}

describe("repository structure", () => {
  const files = repoFiles();

  it("finds the code", () => {
    expect(files.some((f) => f.path === "provider/index.ts")).toBe(true);
    expect(files.some((f) => f.path.startsWith("provider/host/"))).toBe(true);
  });

  it("1. provider/shared imports only provider/shared and zod", () => expectNone(checkBoundary(files, sharedBoundary)));
  it("2. provider/host imports only host, shared, zod and cloudflare:*", () =>
    expectNone(checkBoundary(files, hostBoundary)));
  it("2b. what runs in the app's isolate imports only app-isolate/", () =>
    expectNone(checkBoundary(files, appIsolateBoundary)));
  it("3. nothing outside provider/host imports provider/host", () => expectNone(checkBoundary(files, nodeBoundary)));
  it("4. provider/ has no import cycles", () => expectNone(checkCycles(files)));
  it("5. no source file is over 400 lines", () => expectNone(checkFileLengths(files, fileLengthScope)));
  it("6. no function is over 60 lines", () => expectNone(checkFunctionLengths(files, functionLengthScope)));
  it("7. only provider/**/index.ts re-exports", () => expectNone(checkReExports(files)));
});

const tree = (files: Record<string, string>): SourceText[] =>
  Object.entries(files).map(([path, text]) => ({ path, text }));

describe("structure checker", () => {
  it("sees every form of import, type-only ones too, and no strings", () => {
    const text = [
      `import a from "a";`,
      `import type { B } from "b";`,
      `export * from "c";`,
      `export type { D } from "d";`,
      `const e = await import("e");`,
      `type F = import("f").F;`,
      `const g = require("g");`,
      `import h = require("h");`,
      `build({ entryPoints: ["provider/host/index.ts"] }); // import "i"`,
    ].join("\n");
    const refs = collectImports({ path: "x.ts", text });
    expect(refs.map((r) => `${r.line} ${r.specifier}`)).toEqual([
      "1 a",
      "2 b",
      "3 c",
      "4 d",
      "5 e",
      "6 f",
      "7 g",
      "8 h",
    ]);
  });

  it("resolves NodeNext specifiers to the files of the tree", () => {
    const known = new Set(["p/a.ts", "p/b.d.ts", "p/c/index.ts", "p/m.mjs"]);
    expect(resolveSpecifier("p/x.ts", "./a.js", known)).toEqual({ file: "p/a.ts" });
    expect(resolveSpecifier("p/q/x.ts", "../b.js", known)).toEqual({ file: "p/b.d.ts" });
    expect(resolveSpecifier("p/x.ts", "./c", known)).toEqual({ file: "p/c/index.ts" });
    expect(resolveSpecifier("p/x.mjs", "./m.mjs", known)).toEqual({ file: "p/m.mjs" });
    expect(resolveSpecifier("p/x.ts", "./gone.js", known)).toEqual({ file: "p/gone.js" });
    expect(resolveSpecifier("p/x.ts", "@scope/pkg/sub", known)).toEqual({ package: "@scope/pkg" });
    expect(resolveSpecifier("p/x.ts", "node:fs", known)).toEqual({ package: "node:fs" });
  });

  it("rule 1 fails on a shared file importing host, even for a type", () => {
    const files = tree({
      "provider/shared/a.ts": `import { z } from "zod";\nimport type { Env } from "../host/env.js";\nimport { b } from "./b.js";`,
      "provider/shared/b.ts": `export const b = 1;`,
      "provider/host/env.ts": `export type Env = {};`,
    });
    expect(formatViolations(checkBoundary(files, sharedBoundary))).toEqual([
      `provider/shared/a.ts:2: import type "../host/env.js" → provider/host/env.ts: ${sharedBoundary.rule}`,
    ]);
  });

  it("rule 2 fails on a host file importing node:fs, in a .d.ts type too", () => {
    const files = tree({
      "provider/host/a.ts": [
        `import { DurableObject } from "cloudflare:workers";`,
        `import { z } from "zod";`,
        `import { names } from "../shared/names.js";`,
        `import { readFileSync } from "node:fs";`,
      ].join("\n"),
      "provider/host/env.d.ts": `interface Env { FS: typeof import("node:fs"); }`,
      "provider/shared/names.ts": `export const names = [];`,
    });
    expect(checkBoundary(files, hostBoundary).map((v) => `${v.file}:${v.line}`)).toEqual([
      "provider/host/a.ts:4",
      "provider/host/env.d.ts:1",
    ]);
  });

  it("rule 3 fails on Node code importing provider/host, but not on a path string", () => {
    const files = tree({
      "provider/host/index.ts": `export default {};`,
      "test/unit/x.test.ts": `const host = await import("../../provider/host/index.js");`,
      "scripts/build.mjs": `await build({ entryPoints: ["provider/host/index.ts"] });\nrequire("../dist/host.js");`,
      "provider/cli/main.ts": `import type { Env } from "../host/index.js";`,
    });
    expect(checkBoundary(files, nodeBoundary).map((v) => `${v.file}:${v.line}`)).toEqual([
      "test/unit/x.test.ts:1",
      "provider/cli/main.ts:1",
    ]);
  });

  it("rule 4 fails on a two-file type-only cycle, and names both files", () => {
    const files = tree({
      "provider/a.ts": `import type { B } from "./b.js";\nexport type A = B[];`,
      "provider/b.ts": `import type { A } from "./a.js";\nexport type B = { a: A };`,
      "provider/c.ts": `import type { A } from "./a.js";`,
    });
    expect(formatViolations(checkCycles(files))).toEqual([
      "provider/a.ts:1: import cycle among provider/a.ts, provider/b.ts (provider/a.ts:1 → provider/b.ts; provider/b.ts:1 → provider/a.ts)",
    ]);
    expect(checkCycles(tree({ "provider/a.ts": `import "./a.js";` }))).toHaveLength(1);
    expect(checkCycles(files.slice(1))).toEqual([]);
  });

  it("rule 5 fails on a 401-line file, not on a 400-line one or a fixture", () => {
    const files = tree({
      "provider/long.ts": "x;\n".repeat(401),
      "provider/ok.ts": "x;\n".repeat(400),
      "test/fixtures/long.mjs": "x;\n".repeat(500),
    });
    expect(formatViolations(checkFileLengths(files, fileLengthScope))).toEqual([
      "provider/long.ts:401: file has 401 lines (limit 400)",
    ]);
  });

  it("rule 6 fails on a 61-line arrow function, not on a 60-line one or a test", () => {
    const arrow = (name: string, lines: number) => `const ${name} = () => {\n${"  0;\n".repeat(lines - 2)}};\n`;
    const files = tree({
      "provider/f.ts": `// why\n${arrow("long", 61)}${arrow("fits", 60)}`,
      "test/unit/f.test.ts": arrow("inTest", 100),
    });
    expect(formatViolations(checkFunctionLengths(files, functionLengthScope))).toEqual([
      "provider/f.ts:2: ArrowFunction long is 61 lines (limit 60)",
    ]);
  });

  it("rule 6 names methods and measures nested functions on their own", () => {
    const body = "    x;\n".repeat(60);
    const text = `class K {\n  m() {\n    const inner = function () {\n${body}    };\n  }\n}\n`;
    expect(checkFunctionLengths(tree({ "bench/k.mjs": text }), functionLengthScope).map((v) => v.message)).toEqual([
      "MethodDeclaration K.m is 64 lines (limit 60)",
      "FunctionExpression inner is 62 lines (limit 60)",
    ]);
  });

  it("rule 7 fails on a re-export in a non-index file, not in an index.ts", () => {
    const reexports = `export * from "./a.js";\nexport { b } from "./b.js";\nexport type { C } from "./c.js";\n`;
    const files = tree({
      "provider/x/ops.ts": `export const own = 1;\nexport { own as alias };\n${reexports}`,
      "provider/x/index.ts": reexports,
      "provider/host/index.d.ts": reexports,
    });
    expect(checkReExports(files).map((v) => `${v.file}:${v.line}`)).toEqual([
      "provider/x/ops.ts:3",
      "provider/x/ops.ts:4",
      "provider/x/ops.ts:5",
    ]);
  });
});
