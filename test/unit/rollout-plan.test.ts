// The rollout a change plans at check time (resources/app/rollout-plan.ts), and the buckets that pin objects.
import { describe, expect, it } from "vitest";
import { planRollout } from "../../provider/resources/app/rollout-plan.js";
import type { StoredAppState } from "../../provider/resources/app/state.js";
import { bucketInCandidate, rolloutBucket } from "../../provider/shared/rollout-bucket.js";
import { RolloutInput } from "../../provider/shared/schema/index.js";

const [v1, v2, v3] = ["1".repeat(64), "2".repeat(64), "3".repeat(64)];
const app = (versionHash: string, percent?: number, rollout?: StoredAppState["rollout"]): StoredAppState => ({
  name: "todo",
  code: { versionHash, mainModule: "index.js", modules: {}, compatibilityDate: "2026-07-01" },
  ...(percent !== undefined ? { settings: { rollout: { percent } } } : {}),
  control: { url: "http://h" },
  controlToken: "t",
  ...(rollout ? { rollout } : {}),
});

describe("planRollout", () => {
  it("plans new code below 100 % as a rollout from the version deployed before", () => {
    expect(planRollout(app(v1), app(v2, 10)).rollout).toEqual({ stable: v1, summary: "11111111 → 22222222 at 10 %" });
  });
  it("keeps the stable version while the percent rises, and when the candidate changes mid-rollout", () => {
    const at10 = planRollout(app(v1), app(v2, 10));
    expect(planRollout(at10, app(v2, 50)).rollout?.summary).toBe("11111111 → 22222222 at 50 %");
    expect(planRollout(at10, app(v3, 10)).rollout).toEqual({ stable: v1, summary: "11111111 → 33333333 at 10 %" });
  });
  it("plans nothing at 100 %, without a rollout, on create, for unchanged code, and back to the stable code", () => {
    const at10 = planRollout(app(v1), app(v2, 10));
    expect("rollout" in planRollout(at10, app(v2, 100))).toBe(false);
    expect("rollout" in planRollout(at10, app(v2))).toBe(false);
    expect("rollout" in planRollout(undefined, app(v2, 10))).toBe(false);
    expect("rollout" in planRollout(app(v2), app(v2, 10))).toBe(false);
    expect("rollout" in planRollout(at10, app(v1, 10))).toBe(false);
  });
  it("says so when the candidate is not known yet at preview", () => {
    expect(planRollout(app(v1), app("04da6b54-80e4-46f7-96ec-b56ff0331ba9", 10)).rollout?.summary).toBe(
      "11111111 → (new version) at 10 %",
    );
  });
});

describe("rollout buckets", () => {
  it("put about the percent of 10,000 names in the candidate, and only add names as the percent rises", () => {
    const names = Array.from({ length: 10_000 }, (_, i) => `room-${i}`);
    const buckets = names.map((n) => rolloutBucket("chat", v2, n));
    for (const p of [1, 10, 50, 90]) {
      const share = buckets.filter((b) => bucketInCandidate(b, p)).length / names.length;
      // Binomial(10000, p): sd at most 0.5 %; 1.5 % either side is three sd.
      expect(Math.abs(share - p / 100)).toBeLessThan(0.015);
    }
    for (const b of buckets) if (bucketInCandidate(b, 10)) expect(bucketInCandidate(b, 50)).toBe(true);
    // Another app's (or rollout's) buckets are not the same.
    const other = names.map((n) => rolloutBucket("other", v2, n));
    expect(other.filter((b, i) => b === buckets[i]).length).toBeLessThan(20);
  });
  it("accept percents 0.01 to 100 in hundredths, naming the field otherwise", () => {
    expect(RolloutInput.safeParse({ percent: 0.5 }).success).toBe(true);
    for (const percent of [0, 101, 10.001, -1]) expect(RolloutInput.safeParse({ percent }).success).toBe(false);
    expect(RolloutInput.safeParse({ percent: 10, maxErrorRate: 2 }).success).toBe(false);
    expect(RolloutInput.safeParse({ percent: 10, extra: 1 }).success).toBe(false);
  });
});
