// Compatibility flags: the list read from the workerd package agrees with what
// that workerd binary itself accepts, and the schema refuses, naming the flag,
// what would fail only when the app is loaded.
import { describe, expect, it } from "vitest";
import { AppVersionSpec, CompatibilityFlag, formatIssues } from "../../provider/shared/schema/index.js";

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

  it.fails("refuses a flag workerd does not know, naming it and the nearest it knows", () => {
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

  it.fails("refuses an experimental flag, naming it and why", () => {
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

  it.fails("refuses a behaviour turned both on and off, at the flag that turns it off", () => {
    expect(problems(["nodejs_compat", "url_standard", "no_nodejs_compat"])).toEqual([
      {
        path: "compatibilityFlags[2]",
        message: expect.stringMatching(/^'no_nodejs_compat' turns off what 'nodejs_compat'/),
      },
    ]);
  });
});
