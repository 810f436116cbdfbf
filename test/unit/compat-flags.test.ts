// Compatibility flags: the list read from the workerd package agrees with what
// that workerd binary itself accepts, and the schema refuses, naming the flag,
// what would fail only when the app is loaded.
import { execFileSync, spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { createRequire } from "node:module";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import { AppVersionSpec, CompatibilityFlag, WORKERD_FLAGS, formatIssues } from "../../provider/shared/schema/index.js";
import { tempDir } from "../helpers/host.js";

/** workerd's own verdict on these flags: it names each unknown and each experimental one it refuses. */
function workerdVerdict(enable: string[], disable: string[]): { unknown: string[]; experimental: string[] } {
  const dir = tempDir("dw-flags-");
  try {
    const worker = (name: string, list: string[]) =>
      `(name = "${name}", worker = (modules = [(name = "w", esModule = "export default {}")], compatibilityDate = "2000-01-01", compatibilityFlags = [${list.map((f) => JSON.stringify(f)).join(", ")}]))`;
    const config = join(dir.path, "flags.capnp");
    writeFileSync(
      config,
      `using Workerd = import "/workerd/workerd.capnp";\nconst config :Workerd.Config = (services = [${worker("on", enable)}, ${worker("off", disable)}]);\n`,
    );
    const binary: string = createRequire(import.meta.url)("workerd").default;
    // `test` compiles every worker's flags and reports each refusal; no --experimental, as on Cloudflare.
    const run = spawnSync(binary, ["test", config], { encoding: "utf8", timeout: 30_000 });
    const out = `${run.stdout}${run.stderr}`;
    return {
      unknown: [...out.matchAll(/No such compatibility flag: (\S+)/g)].map((m) => m[1]!).sort(),
      experimental: [...out.matchAll(/compatibility flag (\S+) is experimental/g)].map((m) => m[1]!).sort(),
    };
  } finally {
    dir.remove();
  }
}

describe("the compatibility flags read from the workerd package", () => {
  it("are what the generator reads from the installed workerd now", () => {
    execFileSync(process.execPath, ["scripts/gen-compat-flags.mjs", "--check"], { stdio: "pipe" });
  });

  it("are exactly the flags workerd accepts, and its experimental ones exactly those it refuses without --experimental", () => {
    const all = [...WORKERD_FLAGS];
    expect(all.length).toBeGreaterThan(200);
    const verdict = workerdVerdict(
      [...all.filter(([, f]) => f.turns === "on").map(([n]) => n), "made_up_flag"],
      all.filter(([, f]) => f.turns === "off").map(([n]) => n),
    );
    expect(verdict.unknown).toEqual(["made_up_flag"]);
    expect(verdict.experimental).toEqual(
      all
        .filter(([, f]) => f.experimental)
        .map(([n]) => n)
        .sort(),
    );
    expect(verdict.experimental.length).toBeGreaterThan(0);
  });
});

/** The issues of an app version with these flags. */
const problems = (compatibilityFlags: string[]) => {
  const r = AppVersionSpec.safeParse({
    mainModule: "a.js",
    modules: { "a.js": { type: "js", content: "" } },
    compatibilityDate: "2026-07-01",
    compatibilityFlags,
  });
  return r.success ? [] : formatIssues(r.error);
};

describe("CompatibilityFlag", () => {
  it.each(["nodejs_compat", "no_nodejs_compat", "disable_ctx_exports", "url_standard", "no_precise_timers"])(
    "accepts %s",
    (f) => {
      expect(CompatibilityFlag.safeParse(f).success).toBe(true);
    },
  );

  it("refuses a flag workerd does not know, naming it and the nearest it knows", () => {
    expect(problems(["nodejs_compat", "nodejs_compta"])).toEqual([
      {
        path: "compatibilityFlags[1]",
        message: expect.stringMatching(
          /^'nodejs_compta' is not a compatibility flag workerd 1\.\d+\.\d+ knows \(did you mean 'nodejs_compat'\?\)/,
        ),
      },
    ]);
    expect(problems(["made_up_flag"])[0]!.message).not.toMatch(/did you mean/);
  });

  it("refuses an experimental flag, naming it and why", () => {
    expect(problems(["precise_timers"])).toEqual([
      {
        path: "compatibilityFlags[0]",
        message: expect.stringMatching(/^'precise_timers' is an experimental compatibility flag: Cloudflare refuses/),
      },
    ]);
  });

  it("keeps refusing the flags that would undo the host's own, and a name that is no flag name at all", () => {
    expect(problems(["enable_ctx_exports", "allow_importable_env", "Bad-Flag"]).map((i) => i.message)).toEqual([
      expect.stringMatching(/^'enable_ctx_exports' is not allowed: the host loads every app with disable_ctx_exports/),
      expect.stringMatching(
        /^'allow_importable_env' is not allowed: the host loads every app with disallow_importable_env/,
      ),
      "must be a flag name of a-z, 0-9 and '_'",
    ]);
  });

  it("refuses a behaviour turned both on and off, at the flag that turns it off", () => {
    expect(problems(["nodejs_compat", "url_standard", "no_nodejs_compat"])).toEqual([
      {
        path: "compatibilityFlags[2]",
        message: expect.stringMatching(/^'no_nodejs_compat' turns off what 'nodejs_compat'/),
      },
    ]);
  });
});
