// The policy pack's rules alone, table by table: good and bad apps, configs
// and host patterns. The real CLI runs the pack in test/e2e/policy.test.ts.
import { readFileSync } from "node:fs";
import { join } from "node:path";
import { describe, expect, it } from "vitest";
import {
  POLICY_NAMES,
  appFacts,
  checkAppQuota,
  checkCompatibilityDate,
  checkDataOnDelete,
  checkOutbound,
  checkTotalQuota,
  configSchemaOf,
  hostCovered,
  parsePolicyConfig,
  quotaContextOf,
  type AppFacts,
  type QuotaContext,
} from "../../provider/policy/rules.js";
import { QUOTA_FIELDS } from "../../provider/shared/schema/index.js";

const app = (over: Partial<AppFacts> = {}): AppFacts => ({
  name: "chat",
  quota: {},
  outbound: "none",
  dataOnDelete: "retain",
  compatibilityDate: "2026-07-01",
  tags: [],
  maxQuota: null,
  ...over,
});
const noPlatform: QuotaContext = { defaults: { quota: {} }, limits: { maxApps: 1000, maxQuota: {} } };
const messages = (vs: { message: string }[]) => vs.map((v) => v.message);

describe("appFacts", () => {
  it("reads an App's inputs, __provider and all, with the App's defaults for what is absent", () => {
    expect(
      appFacts({
        __provider: "exports.handler = …",
        name: "todo",
        code: { compatibilityDate: "2026-07-01" },
        settings: { quota: { maxObjects: 3 }, tags: ["disposable"] },
        control: {
          "4dabf18193072939515e22adb298388d": "1b47061264138c4ac30d75fd1eb44270",
          value: { maxQuota: { maxObjects: 9 } },
        },
      }),
    ).toEqual({
      name: "todo",
      quota: { maxObjects: 3 },
      outbound: "none",
      dataOnDelete: "retain",
      compatibilityDate: "2026-07-01",
      tags: ["disposable"],
      maxQuota: { maxObjects: 9 },
    });
  });
});

describe("checkAppQuota", () => {
  it.each<[string, Partial<AppFacts>, QuotaContext, Record<string, number>, string[]]>([
    [
      "declared, over",
      { quota: { maxObjects: 5000 } },
      noPlatform,
      { maxObjects: 1000 },
      ["app 'chat': quota.maxObjects 5000 exceeds the ceiling 1000"],
    ],
    ["declared, at the ceiling", { quota: { maxObjects: 1000 } }, noPlatform, { maxObjects: 1000 }, []],
    ["declared, under", { quota: { maxObjects: 1 } }, noPlatform, { maxObjects: 1000 }, []],
    ["no ceiling configured", { quota: { maxObjects: 5000 } }, noPlatform, {}, []],
    [
      "undeclared: Quota's default",
      {},
      noPlatform,
      { requestsPerMinute: 1000 },
      ["app 'chat': quota.requestsPerMinute 6000 (not declared: the platform's default) exceeds the ceiling 1000"],
    ],
    [
      "undeclared: lowered to the platform ceiling",
      {},
      { defaults: { quota: {} }, limits: { maxApps: 1, maxQuota: { requestsPerMinute: 900 } } },
      { requestsPerMinute: 1000 },
      [],
    ],
    [
      "undeclared: the platform's default",
      {},
      { defaults: { quota: { cpuMs: 200 } }, limits: { maxApps: 1, maxQuota: {} } },
      { cpuMs: 100 },
      ["app 'chat': quota.cpuMs 200 (not declared: the platform's default) exceeds the ceiling 100"],
    ],
    [
      "several fields",
      { quota: { maxObjects: 2, subRequests: 60 } },
      noPlatform,
      { maxObjects: 1, subRequests: 50, cpuMs: 50 },
      [
        "app 'chat': quota.maxObjects 2 exceeds the ceiling 1",
        "app 'chat': quota.subRequests 60 exceeds the ceiling 50",
      ],
    ],
  ])("%s", (_what, over, ctx, ceiling, expected) => {
    const vs = checkAppQuota(app(over), ctx, ceiling);
    expect(messages(vs)).toEqual(expected);
    for (const v of vs) expect(v.app).toBe("chat");
  });
});

describe("checkTotalQuota", () => {
  const apps = (...quotas: [string, AppFacts["quota"]][]) =>
    quotas.map(([name, quota]) => ({ app: app({ name, quota }), ctx: noPlatform }));

  it("sums effective quotas and names the apps, largest first", () => {
    const vs = checkTotalQuota(apps(["a", { maxObjects: 10 }], ["b", {}], ["c", { maxObjects: 100 }]), {
      maxObjects: 150,
    });
    expect(vs).toEqual([
      {
        app: null,
        message:
          "apps 'b' 100, 'c' 100, 'a' 10: total quota.maxObjects 210 exceeds the ceiling 150 for all apps of the stack",
      },
    ]);
  });

  it.each<[string, [string, AppFacts["quota"]][], Record<string, number>, number]>([
    [
      "at the ceiling",
      [
        ["a", { maxObjects: 50 }],
        ["b", { maxObjects: 50 }],
      ],
      { maxObjects: 100 },
      0,
    ],
    ["no apps", [], { maxObjects: 0 }, 0],
    ["no ceiling", [["a", { maxObjects: 50 }]], {}, 0],
    [
      "each field on its own",
      [
        ["a", { cpuMs: 30, subRequests: 30 }],
        ["b", { cpuMs: 30, subRequests: 30 }],
      ],
      { cpuMs: 59, subRequests: 60 },
      1,
    ],
  ])("%s", (_what, list, ceiling, count) => {
    expect(checkTotalQuota(apps(...list), ceiling)).toHaveLength(count);
  });

  it("names ten apps and counts the rest", () => {
    const many = Array.from(
      { length: 12 },
      (_, i) => [`app-${String(i).padStart(2, "0")}`, { maxObjects: 1 }] as [string, AppFacts["quota"]],
    );
    const [v] = checkTotalQuota(apps(...many), { maxObjects: 11 });
    expect(v!.message).toMatch(
      /^apps 'app-00' 1, .*'app-09' 1, and 2 more: total quota\.maxObjects 12 exceeds the ceiling 11/,
    );
  });
});

describe("quotaContextOf", () => {
  it("takes the platform's config when the stack has one host, else the ceilings the App carries", () => {
    const a = app({ maxQuota: { maxObjects: 7 } });
    const host = { limits: { maxQuota: { maxObjects: 50 } }, defaults: { quota: { maxObjects: 20 } } };
    expect(quotaContextOf(a, [host])).toMatchObject({
      defaults: { quota: { maxObjects: 20 } },
      limits: { maxQuota: { maxObjects: 50 } },
    });
    expect(quotaContextOf(a, [host, host])).toEqual({
      defaults: { quota: {} },
      limits: { maxApps: 0, maxQuota: { maxObjects: 7 } },
    });
    expect(quotaContextOf(a, [])).toEqual({
      defaults: { quota: {} },
      limits: { maxApps: 0, maxQuota: { maxObjects: 7 } },
    });
  });
});

describe("hostCovered", () => {
  it.each<[string, string[], boolean]>([
    ["api.example.com", ["api.example.com"], true],
    ["API.Example.com", ["api.example.com"], true],
    ["api.example.com", ["*.example.com"], true],
    ["deep.api.example.com", ["*.example.com"], true],
    ["example.com", ["*.example.com"], false],
    ["evilexample.com", ["*.example.com"], false],
    ["api.example.com.evil.net", ["*.example.com"], false],
    ["api.example.com", ["api.example.org"], false],
    ["api.example.com", [], false],
    ["*.example.org", ["*.example.org"], true],
    ["*.a.example.org", ["*.example.org"], true],
    ["*.example.org", ["*.a.example.org"], false],
    ["*.example.org", ["api.example.org"], false],
    ["*.example.org", ["policy-probe.example.org"], false],
    ["*.example.org", ["example.org"], false],
    ["*.example.org", ["*.badexample.org"], false],
  ])("%s within %j: %s", (entry, allowed, expected) => {
    expect(hostCovered(entry, allowed)).toBe(expected);
  });
});

describe("checkOutbound", () => {
  it.each<[string, AppFacts["outbound"], string[], string[]]>([
    ["no outbound", "none", [], []],
    ["covered", { allow: ["api.example.com", "*.example.org"] }, ["api.example.com", "*.example.org"], []],
    [
      "one entry outside",
      { allow: ["api.example.com", "*.example.org"] },
      ["api.example.com", "www.example.org"],
      [
        "app 'chat': outbound.allow[1] '*.example.org' is not within the allowed hosts (api.example.com, www.example.org)",
      ],
    ],
    [
      "nothing configured",
      { allow: ["api.example.com"] },
      [],
      ["app 'chat': outbound.allow[0] 'api.example.com' is not within the allowed hosts (none configured)"],
    ],
  ])("%s", (_what, outbound, allowedHosts, expected) => {
    expect(messages(checkOutbound(app({ outbound }), { allowedHosts }))).toEqual(expected);
  });
});

describe("checkDataOnDelete", () => {
  it.each<[string, Partial<AppFacts>, string, string[]]>([
    ["retain", { dataOnDelete: "retain" }, "disposable", []],
    ["delete, tagged", { dataOnDelete: "delete", tags: ["team:ai", "disposable"] }, "disposable", []],
    ["delete, other tag configured", { dataOnDelete: "delete", tags: ["scratch"] }, "scratch", []],
    [
      "delete, untagged",
      { dataOnDelete: "delete" },
      "disposable",
      [`app 'chat': dataOnDelete "delete" is allowed only with the tag 'disposable' (the app's tags: none)`],
    ],
    [
      "delete, other tags",
      { dataOnDelete: "delete", tags: ["scratch"] },
      "disposable",
      [`app 'chat': dataOnDelete "delete" is allowed only with the tag 'disposable' (the app's tags: scratch)`],
    ],
  ])("%s", (_what, over, disposableTag, expected) => {
    expect(messages(checkDataOnDelete(app(over), { disposableTag }))).toEqual(expected);
  });
});

describe("checkCompatibilityDate", () => {
  it.each<[string, string, string | undefined, string[]]>([
    ["no minimum", "2020-01-01", undefined, []],
    ["on the minimum", "2026-01-01", "2026-01-01", []],
    ["newer", "2026-07-01", "2026-01-01", []],
    [
      "older",
      "2025-12-31",
      "2026-01-01",
      ["app 'chat': compatibilityDate 2025-12-31 is older than the minimum 2026-01-01"],
    ],
  ])("%s", (_what, compatibilityDate, minimum, expected) => {
    expect(
      messages(checkCompatibilityDate(app({ compatibilityDate }), minimum === undefined ? {} : { minimum })),
    ).toEqual(expected);
  });
});

describe("policy config", () => {
  it("fills defaults", () => {
    expect(parsePolicyConfig(POLICY_NAMES.outbound, {})).toEqual({ allowedHosts: [] });
    expect(parsePolicyConfig(POLICY_NAMES.dataOnDelete, undefined)).toEqual({ disposableTag: "disposable" });
    expect(parsePolicyConfig(POLICY_NAMES.outbound, { allowedHosts: ["API.example.com"] })).toEqual({
      allowedHosts: ["api.example.com"],
    });
  });

  it.each<[keyof typeof import("../../provider/policy/rules.js").POLICY_CONFIGS, unknown, RegExp]>([
    [POLICY_NAMES.appQuota, { maxObjects: -1 }, /app-quota-ceiling\.maxObjects: /],
    [POLICY_NAMES.totalQuota, { maxObject: 1 }, /total-quota-ceiling: .*maxObject/],
    [
      POLICY_NAMES.outbound,
      { allowedHosts: ["https://x.com"] },
      /outbound-allowed-hosts\.allowedHosts\.0: must be a hostname/,
    ],
    [POLICY_NAMES.dataOnDelete, { disposableTag: "Not A Tag" }, /data-on-delete-disposable\.disposableTag: /],
    [
      POLICY_NAMES.compatibilityDate,
      { minimum: "2026-02-30" },
      /minimum-compatibility-date\.minimum: must be a real calendar date/,
    ],
  ])("%s refuses %j", (policy, raw, error) => {
    expect(() => parsePolicyConfig(policy, raw)).toThrow(error);
  });

  it("gives the CLI a JSON Schema of each policy's config, from the same zod schemas", () => {
    expect(Object.keys(configSchemaOf(POLICY_NAMES.appQuota).properties)).toEqual(QUOTA_FIELDS);
    expect(configSchemaOf(POLICY_NAMES.appQuota).properties.maxObjects).toMatchObject({ type: "integer", minimum: 0 });
    expect(configSchemaOf(POLICY_NAMES.outbound).properties.allowedHosts).toMatchObject({
      type: "array",
      items: { type: "string" },
    });
    expect(configSchemaOf(POLICY_NAMES.compatibilityDate).properties.minimum).toMatchObject({ type: "string" });
    expect(Object.keys(configSchemaOf(POLICY_NAMES.dataOnDelete).properties)).toEqual(["disposableTag"]);
  });
});

describe("the shipped pack", () => {
  const root = join(import.meta.dirname, "../..");
  const json = (p: string) => JSON.parse(readFileSync(join(root, p), "utf8"));

  it("has the package's version (@pulumi/policy reports it) and is in the package's files", () => {
    expect(json("policy/package.json").version).toBe(json("package.json").version);
    expect(json("package.json").files).toContain("policy");
  });
});
