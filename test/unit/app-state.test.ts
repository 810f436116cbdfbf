// The App's state shapes: lean as stored, full as the provider works with
// it, and the one reader of both (readAppState).
import { readFileSync } from "node:fs";
import { describe, expect, it } from "vitest";
import { readAppState, storedState, type AppState } from "../../provider/resources/app/state.js";
import { checkApp, diffApp } from "../../provider/resources/app/check.js";

const full: AppState = {
  name: "todo",
  code: {
    versionHash: "v1",
    mainModule: "index.js",
    modules: { "index.js": { type: "js", sha256: "ab", size: 3 } },
    source: { root: "apps/todo", entry: "index.ts" },
    compatibilityDate: "2026-07-01",
    compatibilityFlags: [],
    durableObject: null,
    durableObjects: {},
    env: {},
    assets: null,
  },
  settings: { quota: {}, outbound: "none", logs: false, crons: [], dataOnDelete: "retain", tags: [], rollout: null },
  secrets: {},
  secretsKey: "",
  control: { url: "http://127.0.0.1:8787/_scripts/h", maxQuota: null },
  controlToken: "t",
  rollout: null,
};

describe("App state", () => {
  it("stores no field at its default, and no empty group but code and control", () => {
    expect(storedState(full)).toEqual({
      name: "todo",
      code: {
        versionHash: "v1",
        mainModule: "index.js",
        modules: full.code.modules,
        source: full.code.source,
        compatibilityDate: "2026-07-01",
      },
      control: { url: full.control.url },
      controlToken: "t",
    });
    expect(
      storedState({ ...full, settings: { ...full.settings, tags: [] }, control: { ...full.control, maxQuota: {} } }),
    ).toEqual(storedState(full));
  });

  it("stores what differs from a default, and reads it back as it was", () => {
    const s: AppState = {
      ...full,
      code: {
        ...full.code,
        compatibilityFlags: ["nodejs_compat"],
        durableObject: "Todo",
        env: { MODE: "x" },
        source: null,
      },
      settings: {
        quota: { maxObjects: 3 },
        outbound: { allow: ["api.example.com"] },
        logs: true,
        crons: ["*/5 * * * *"],
        dataOnDelete: "delete",
        tags: ["disposable"],
        rollout: { percent: 10 },
      },
      secrets: { KEY: "s" },
      control: { ...full.control, maxQuota: { maxObjects: 10 } },
      rollout: { stable: "a".repeat(64), summary: "aaaaaaaa → bbbbbbbb at 10 %" },
    };
    const stored = storedState(s);
    expect(stored.settings).toEqual(s.settings);
    expect(stored.secrets).toEqual({ KEY: "s" });
    expect(stored.control.maxQuota).toEqual({ maxObjects: 10 });
    expect(stored.code).toMatchObject({
      compatibilityFlags: ["nodejs_compat"],
      durableObject: "Todo",
      env: { MODE: "x" },
    });
    expect("source" in stored.code).toBe(false);
    expect(readAppState(stored)).toEqual(s);
    expect(readAppState(storedState(full))).toEqual(full);
  });

  it("diff sees no change between grouped state that spells out defaults and lean state", () => {
    expect(diffApp(full, storedState(full))).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    const changed = storedState({ ...full, settings: { ...full.settings, outbound: { allow: ["a.example"] } } });
    expect(diffApp(full, changed).changes).toBe(true);
    expect(diffApp(storedState(full), { ...storedState(full), name: "other" }).replaces).toEqual(["name"]);
  });

  it("keeps a value of the wrong kind, even an empty one, so check names it before any deploy", () => {
    const wrong = storedState({ ...full, settings: { ...full.settings, quota: [] as never, logs: "yes" as never } });
    expect(wrong.settings).toEqual({ quota: [], logs: "yes" });
    expect(
      checkApp(wrong)
        .map((f) => f.property)
        .sort(),
    ).toEqual(["logs", "quota"]);
  });

  it("check leaves groups not known at preview (from Outputs of resources not made yet) to the update", async () => {
    const { unknownValue } = await import("@pulumi/pulumi/runtime/rpc.js");
    const unknown = unknownValue as never;
    const lean = storedState(full);
    expect(checkApp({ ...lean, name: unknown, code: unknown, settings: unknown, secrets: unknown })).toEqual([]);
    // What is known is still checked.
    const bad = storedState({ ...full, settings: { ...full.settings, quota: { maxObjects: -1 } } });
    expect(checkApp({ ...bad, code: unknown }).map((f) => f.property)).toEqual(["quota"]);
    expect(diffApp(lean, { ...lean, code: unknown }).changes).toBe(true);
  });

  it("check accepts lean state and still names a bad field", () => {
    expect(checkApp(storedState(full))).toEqual([]);
    const bad = storedState({ ...full, settings: { ...full.settings, quota: { maxObjects: -1 } } });
    expect(checkApp(bad)).toEqual([expect.objectContaining({ property: "quota" })]);
  });
});

describe("state formats a release wrote", () => {
  // 0.2.0 is the first release; every later release reads its state as it was written.
  const v020 = JSON.parse(readFileSync(new URL("../fixtures/state/app-0.2.0.json", import.meta.url), "utf8"));

  it("reads 0.2.0's App state: no change, no failure, and it is stored back the same", () => {
    const s = readAppState(v020);
    expect(s.settings).toEqual({
      quota: v020.settings.quota,
      outbound: "none",
      logs: false,
      crons: [],
      dataOnDelete: "retain",
      tags: ["demo"],
      rollout: null,
    });
    expect(s.code).toMatchObject({ durableObject: "TodoList", compatibilityFlags: [], env: { GREETING: "hi" } });
    expect(checkApp(v020)).toEqual([]);
    expect(diffApp(v020, storedState(s))).toEqual({ changes: false, replaces: [], deleteBeforeReplace: false });
    expect(storedState(s)).toEqual(v020);
  });
});
