// The shared schemas: what they accept, and that each refusal names its field.
import { describe, expect, it } from "vitest";
import {
  AppName,
  AppSettingsInput,
  EnvVarName,
  ModuleName,
  PlatformConfig,
  contentByteLength,
  effectiveQuota,
  formatIssues,
  formatPath,
  quotaOverCeiling,
  Quota,
} from "../../provider/shared/schema/index.js";

describe("names", () => {
  it.each(["a", "todo", "chat-room-2", "x".repeat(63)])("accepts app name %s", (n) => {
    expect(AppName.safeParse(n).success).toBe(true);
  });
  it.each(["", "A", "-a", "a-", "1a", "a.b", "a_b", "www", "api", "x".repeat(64), "tödo"])(
    "refuses app name %j",
    (n) => {
      expect(AppName.safeParse(n).success).toBe(false);
    },
  );
  it.each(["index.js", "lib/util.js", "@scope/pkg/index.mjs", "a+b.txt"])("accepts module name %s", (n) => {
    expect(ModuleName.safeParse(n).success).toBe(true);
  });
  it.each([
    "",
    "/etc/passwd",
    "../x.js",
    "a/../../x.js",
    "a//b.js",
    "./a.js",
    "a\\b.js",
    "__dw_main.js",
    "a b.js",
    "é.js",
  ])("refuses module name %j", (n) => {
    expect(ModuleName.safeParse(n).success).toBe(false);
  });
});

describe("env names", () => {
  it.each(["API_KEY", "_x", "a1"])("accepts env name %s", (n) => {
    expect(EnvVarName.safeParse(n).success).toBe(true);
  });
  // The host puts OBJECTS and, for an app that keeps logs, __dw_LOGS in the env itself.
  it.each(["OBJECTS", "__proto__", "__dw_LOGS", "__dwanything", "1a", "a-b"])("refuses env name %j", (n) => {
    expect(EnvVarName.safeParse(n).success).toBe(false);
  });
});

describe("quota", () => {
  it("fills defaults, then platform defaults, then lowers undeclared fields to the ceiling", () => {
    const config = PlatformConfig.parse({
      limits: { maxQuota: { maxObjects: 10, cpuMs: 100 } },
      defaults: { quota: { requestsPerMinute: 60 } },
    });
    const q = effectiveQuota({ subRequests: 5 }, config);
    expect(q).toEqual({ ...Quota.parse({}), maxObjects: 10, requestsPerMinute: 60, subRequests: 5 });
    expect(quotaOverCeiling(effectiveQuota({ maxObjects: 11 }, config), config.limits.maxQuota)).toEqual([
      { path: "quota.maxObjects", message: "11 is above the platform ceiling of 10" },
    ]);
  });

  it("refuses platform defaults above the platform's own ceiling", () => {
    const r = PlatformConfig.safeParse({
      limits: { maxQuota: { maxObjects: 10 } },
      defaults: { quota: { maxObjects: 20 } },
    });
    expect(r.success).toBe(false);
    expect(formatIssues(r.error!)[0]).toEqual({
      path: "defaults.quota.maxObjects",
      message: "20 is above the platform ceiling of 10",
    });
  });

  it("names every bad settings field", () => {
    const r = AppSettingsInput.safeParse({
      quota: { maxObjects: 1.5, cpuMs: 0, nope: 1 },
      outbound: { allow: ["https://a.com", "*.ok.org", "bad host"] },
    });
    const paths = formatIssues(r.error!).map((i) => i.path);
    expect(paths).toEqual(
      expect.arrayContaining(["quota.maxObjects", "quota.cpuMs", "outbound.allow[0]", "outbound.allow[2]"]),
    );
    expect(paths).not.toContain("outbound.allow[1]");
  });

  it("lowercases allow-list hosts", () => {
    expect(AppSettingsInput.parse({ outbound: { allow: ["API.Example.COM"] } }).outbound).toEqual({
      allow: ["api.example.com"],
    });
  });
});

describe("helpers", () => {
  it("formats paths readably", () => {
    expect(formatPath(["modules", "a.js", "content"])).toBe('modules["a.js"].content');
    expect(formatPath(["flags", 2])).toBe("flags[2]");
    expect(formatPath([], "app")).toBe("app");
  });
  it("counts decoded bytes of base64 content", () => {
    expect(contentByteLength("data", Buffer.from("hello").toString("base64"))).toBe(5);
    expect(contentByteLength("text", "é")).toBe(2);
  });
});
