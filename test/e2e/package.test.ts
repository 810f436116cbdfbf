// The package as people install it: `npm pack` of the repository's files (as
// a fresh clone has them: no dist/, so prepack must build it), the tarball
// installed into a new project outside this repository beside the peer
// @pulumi/pulumi, the local target started from the installed command, and
// `pulumi preview` and `pulumi up` of a two-app program there.
import { execFileSync, spawnSync } from "node:child_process";
import { cpSync, existsSync, mkdirSync, readFileSync, symlinkSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { tempDir } from "../helpers/host.js";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi, previewSteps } from "./helpers.js";

const e2e = hasPulumi ? describe : describe.skip;
if (!hasPulumi) console.warn("e2e skipped: no Pulumi CLI under .tools/pulumi/bin; run scripts/bootstrap.sh");

const rootPkg = JSON.parse(readFileSync(join(ROOT, "package.json"), "utf8")) as {
  version: string;
  devDependencies: Record<string, string>;
};

const PROGRAM = `import * as pulumi from "@pulumi/pulumi";
import { App, LOCAL_API_BASE_URL, Platform } from "pulumi-dynamic-workers";

const config = new pulumi.Config();
const platform = new Platform("mine", {
  accountId: "local",
  apiBaseUrl: config.get("apiBaseUrl") ?? LOCAL_API_BASE_URL,
  cacheTtlSeconds: 1,
});
const hello = new App("hello", { platform, source: "apps/hello", env: { GREETING: "hello from an installed package" } });
const notes = new App("notes", { platform, source: "apps/notes", durableObject: "Notes", quota: { maxObjects: 5 } });

export const controlUrl = platform.controlUrl;
export const versions = { hello: hello.versionHash, notes: notes.versionHash };
`;

const HELLO = `export default {
  fetch(_request: Request, env: { GREETING: string }): Response {
    return new Response(env.GREETING);
  },
};
`;

const NOTES = `import { DurableObject } from "cloudflare:workers";

export class Notes extends DurableObject {
  override async fetch(request: Request): Promise<Response> {
    const sql = this.ctx.storage.sql;
    sql.exec("CREATE TABLE IF NOT EXISTS notes (text TEXT NOT NULL)");
    if (request.method === "POST") sql.exec("INSERT INTO notes (text) VALUES (?)", await request.text());
    return Response.json(sql.exec<{ text: string }>("SELECT text FROM notes").toArray().map((r) => r.text));
  }
}
`;

e2e("the packed package, installed in a project of its own", { timeout: 900_000 }, () => {
  const clone = tempDir("dw-e2e-pack-clone-");
  const packs = tempDir("dw-e2e-pack-out-");
  const project = tempDir("dw-e2e-pack-project-");
  const state = tempDir("dw-e2e-pack-state-");
  let tarball = "";
  let files: string[] = [];
  let target: LocalTarget | undefined;
  let stack: Stack;

  beforeAll(async () => {
    // The tracked files as they are in the working tree, with this repository's installed dependencies.
    const tracked = execFileSync("git", ["ls-files", "-z", "--cached", "--others", "--exclude-standard"], {
      cwd: ROOT,
      encoding: "utf8",
    }).split("\0");
    for (const f of tracked.filter((f) => f && existsSync(join(ROOT, f)))) {
      mkdirSync(dirname(join(clone.path, f)), { recursive: true });
      cpSync(join(ROOT, f), join(clone.path, f));
    }
    symlinkSync(join(ROOT, "node_modules"), join(clone.path, "node_modules"));
    const env = { ...process.env, PATH: `${join(ROOT, "node_modules", ".bin")}:${process.env.PATH}` };
    const out = execFileSync("npm", ["pack", "--json", "--pack-destination", packs.path], {
      cwd: clone.path,
      env,
      encoding: "utf8",
      stdio: ["ignore", "pipe", "pipe"],
    });
    // The prepack build prints its own lines first; npm's JSON starts on a line of its own.
    const packed = JSON.parse(out.slice(out.search(/^\[$/m))) as { filename: string; files: { path: string }[] }[];
    tarball = join(packs.path, packed[0]!.filename);
    files = packed[0]!.files.map((f) => f.path).sort();

    writeFileSync(
      join(project.path, "package.json"),
      JSON.stringify({
        name: "my-platform",
        private: true,
        type: "module",
        dependencies: {
          "@pulumi/pulumi": rootPkg.devDependencies["@pulumi/pulumi"],
          "pulumi-dynamic-workers": `file:${tarball}`,
        },
      }),
    );
    writeFileSync(
      join(project.path, "Pulumi.yaml"),
      "name: my-platform\nruntime:\n  name: nodejs\n  options:\n    typescript: false\nmain: index.ts\n",
    );
    writeFileSync(join(project.path, "index.ts"), PROGRAM);
    mkdirSync(join(project.path, "apps", "hello"), { recursive: true });
    mkdirSync(join(project.path, "apps", "notes"), { recursive: true });
    writeFileSync(join(project.path, "apps", "hello", "index.ts"), HELLO);
    writeFileSync(join(project.path, "apps", "notes", "index.ts"), NOTES);
    const install = spawnSync("npm", ["install", "--prefer-offline", "--no-audit", "--no-fund"], {
      cwd: project.path,
      env,
      encoding: "utf8",
    });
    if (install.status !== 0) throw new Error(`npm install failed:\n${install.stdout}\n${install.stderr}`);

    target = new LocalTarget(
      await freePort(),
      state.path,
      join(project.path, "node_modules", "pulumi-dynamic-workers", "bin", "dynamic-workers.mjs"),
      project.path,
    );
    await target.start();
    stack = new Stack(target, project.path);
    stack.init();
  }, 900_000);

  afterAll(async () => {
    await target?.stop();
    stack?.remove();
    for (const d of [clone, packs, project, state]) d.remove();
  });

  it("ships the built package and what its users need, and nothing else", () => {
    for (const f of [
      "LICENSE",
      "README.md",
      "package.json",
      "bin/dynamic-workers.mjs",
      "dist/host.js",
      "dist/provider/index.js",
      "dist/provider/index.d.ts",
      "dist/provider/resources/app/provider.js",
      "policy/run.mjs",
      "schema/app.schema.json",
      "types/app-env.d.ts",
    ]) {
      expect(files).toContain(f);
    }
    const unwanted = files.filter(
      (f) =>
        /(^|\/)go\.(mod|sum)$|\.go$/.test(f) ||
        /^(scripts|test|bench|examples|provider)\//.test(f) ||
        /\.ts$/.test(f.replace(/\.d\.ts$/, "")),
    );
    expect(unwanted).toEqual([]);
    expect(readFileSync(join(ROOT, "LICENSE"), "utf8")).toMatch(/Apache License\s+Version 2\.0, January 2004/);
  });

  it("declares @pulumi/pulumi as a peer with a range, and the Node it needs", () => {
    const installed = JSON.parse(
      readFileSync(join(project.path, "node_modules", "pulumi-dynamic-workers", "package.json"), "utf8"),
    ) as {
      version: string;
      dependencies: Record<string, string>;
      peerDependencies: Record<string, string>;
      engines: { node: string };
    };
    expect(installed.version).toBe(rootPkg.version);
    expect(installed.dependencies["@pulumi/pulumi"]).toBeUndefined();
    expect(installed.peerDependencies["@pulumi/pulumi"]).toMatch(/^\^3\.\d+\.\d+$/);
    expect(installed.engines.node).toBe(">=22.12.0");
    expect(readFileSync(join(ROOT, "README.md"), "utf8")).toContain("Node 22.12 or newer");
  });

  it("previews and deploys a two-app program from the project, against the installed local target", async () => {
    const steps = previewSteps(stack.run(["preview", "--json"]).stdout).filter((s) => s.type.endsWith(":App"));
    expect(steps.map((s) => [s.op, s.name]).sort()).toEqual([
      ["create", "hello"],
      ["create", "notes"],
    ]);
    stack.run(["up", "--yes"]);
    const { controlUrl } = JSON.parse(stack.run(["stack", "output", "--json"]).stdout) as { controlUrl: string };
    expect(await (await fetch(`${controlUrl}/apps/hello/`)).text()).toBe("hello from an installed package");
    const posted = await fetch(`${controlUrl}/apps/notes/`, { method: "POST", body: "first note" });
    expect(await posted.json()).toEqual(["first note"]);
    const again = previewSteps(stack.run(["preview", "--json"]).stdout).filter((s) => s.op !== "same");
    expect(again).toEqual([]);
  });
});
