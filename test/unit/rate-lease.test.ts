// requestsPerMinute's lease design (provider/shared/rate-lease.ts): its parts,
// and the simulation of 1 to 200 isolates that drives that same code.
import { describe, expect, it } from "vitest";
import * as lease from "../../provider/shared/rate-lease.js";
import { simulate, sliceLease } from "../../bench/lib/rate-sim.mjs";

const { LeaseBudget, grantLease, RATE_WINDOW_MS, EXHAUSTED_RECHECK_MS, REPORT_MS } = lease;
const T0 = 1_000 * RATE_WINDOW_MS; // a minute boundary

describe("grantLease (AppControl)", () => {
  it("never has more out than the limit, and takes back what is returned", () => {
    expect(grantLease(0, { want: 50, returned: 0 }, 100)).toMatchObject({ give: 50, out: 50 });
    expect(grantLease(90, { want: 50, returned: 0 }, 100)).toMatchObject({ give: 10, out: 100 });
    expect(grantLease(100, { want: 5, returned: 0 }, 100)).toMatchObject({ give: 0, out: 100 });
    expect(grantLease(100, { want: 0, returned: 30 }, 100)).toMatchObject({ give: 0, out: 70 });
    expect(grantLease(10, { want: 0, returned: 30 }, 100)).toMatchObject({ give: 0, out: 0 });
  });

  it("says the minute is over only when nothing is left and every token out was reported spent", () => {
    expect(grantLease(100, { want: 5, returned: 0 }, 100, 1, 80).final).toBe(false);
    expect(grantLease(100, { want: 5, returned: 0 }, 100, 1, 100).final).toBe(true);
    expect(grantLease(90, { want: 5, returned: 0 }, 100, 1, 90).final).toBe(false);
  });

  it("gives each of several isolates at most an even share of what is left, and at least one token", () => {
    expect(grantLease(0, { want: 500, returned: 0 }, 100, 4).give).toBe(25);
    expect(grantLease(96, { want: 500, returned: 0 }, 100, 8).give).toBe(1);
    expect(grantLease(99, { want: 500, returned: 0 }, 100, 200).give).toBe(1);
  });
});

describe("LeaseBudget (one isolate)", () => {
  it("starts with one token, then leases what its demand needs, at most twice the requests since its last lease", () => {
    const b = new LeaseBudget(T0, "i");
    b.ask();
    expect(b.take(T0)).toBe(false);
    const first = b.leaseCall(T0);
    expect(first).toMatchObject({ isolate: "i", window: 1_000, want: 1 });
    b.granted(first, 1, T0 + 2);
    expect(b.take(T0 + 2)).toBe(true);
    for (let i = 0; i < 10; i++) b.ask();
    // Ten requests in 100 ms: 20 fit 2 s of that rate, but twice the ten seen caps it.
    const second = b.leaseCall(T0 + 100);
    expect(second.want).toBe(20);
    expect(second.used).toBe(1);
    for (let i = 0; i < 3; i++) b.ask();
    // Three requests in 1 s: 6 would fit the horizon; twice the three seen allows it.
    expect(b.leaseCall(T0 + 1_100).want).toBe(6);
  });

  it("asks for no more than the minute has left to spend", () => {
    const b = new LeaseBudget(T0, "i");
    b.leaseCall(T0);
    for (let i = 0; i < 1_000; i++) b.ask();
    // 1,000 requests in 59.9 s; 100 ms left in the minute: about 2 of them.
    expect(b.leaseCall(T0 + RATE_WINDOW_MS - 100).want).toBe(2);
  });

  it("refuses locally after a grant of nothing, and asks again after EXHAUSTED_RECHECK_MS, doubling (or when the minute ends)", () => {
    const b = new LeaseBudget(T0, "i");
    const call = b.leaseCall(T0);
    b.granted(call, 0, T0 + 1);
    expect(b.refused(T0 + 1)).toBe(true);
    expect(b.refused(T0 + 1 + EXHAUSTED_RECHECK_MS)).toBe(false);
    // Refused again: twice as long.
    const again = b.leaseCall(T0 + 1 + EXHAUSTED_RECHECK_MS);
    b.granted(again, 0, T0 + 1 + EXHAUSTED_RECHECK_MS);
    expect(b.refused(T0 + 1 + 2.5 * EXHAUSTED_RECHECK_MS)).toBe(true);
    expect(b.refused(T0 + 1 + 3 * EXHAUSTED_RECHECK_MS)).toBe(false);
    const last = b.leaseCall(T0 + 1 + 3 * EXHAUSTED_RECHECK_MS);
    b.granted(last, 0, T0 + 2 + 3 * EXHAUSTED_RECHECK_MS, true);
    expect(b.refused(T0 + RATE_WINDOW_MS - 1)).toBe(true);
    expect(b.refused(T0 + RATE_WINDOW_MS)).toBe(false);
  });

  it("drops a past minute's tokens, and reports that minute's count with its next call", () => {
    const b = new LeaseBudget(T0, "i");
    const call = b.leaseCall(T0);
    b.granted(call, 5, T0 + 1);
    expect(b.take(T0 + 2)).toBe(true);
    expect(b.take(T0 + RATE_WINDOW_MS)).toBe(false);
    expect(b.tokens).toBe(0);
    expect(b.leaseCall(T0 + RATE_WINDOW_MS)).toMatchObject({ window: 1_001, used: 1, usedWindow: 1_000 });
  });

  it("gives back what it holds beyond its next horizon's need with its report", () => {
    const b = new LeaseBudget(T0, "i");
    const call = b.leaseCall(T0);
    b.granted(call, 400, T0 + 1);
    expect(b.take(T0 + 2)).toBe(true);
    // One request since the lease, in REPORT_MS: it needs about one token per 2 s.
    b.ask();
    const report = b.dueReport(T0 + REPORT_MS + 2);
    expect(report).toMatchObject({ want: 0, used: 1, usedWindow: 1_000 });
    expect(report!.returned).toBeGreaterThan(390);
    expect(b.tokens).toBe(399 - report!.returned);
  });
});

describe("the simulation: 1 to 200 isolates on the host's own limiter code", () => {
  const cases = [1, 8, 64, 200].flatMap((isolates) =>
    (["steady", "bursty", "churn"] as const).flatMap((pattern) =>
      [600, 6_000].map((limit) => ({ isolates, pattern, limit })),
    ),
  );
  it.each(cases)("$isolates isolates, $pattern demand at twice the limit of $limit: within ±10 %, never over", (c) => {
    const r = simulate(lease, c);
    expect(r.admitted).toBeLessThanOrEqual(c.limit);
    expect(Math.abs(r.errorPct)).toBeLessThanOrEqual(10);
  });

  it("shows the fixed 1/20 slices it replaces failing past 20 isolates (the baseline of bench:ratelimit)", () => {
    const r = simulate(sliceLease(6_000), { isolates: 64, limit: 6_000 });
    expect(r.errorPct).toBeLessThan(-10);
  });

  it("admits all of a demand below the limit", () => {
    for (const isolates of [1, 64]) {
      const r = simulate(lease, { isolates, limit: 6_000, factor: 0.5 });
      expect(r.refused).toBe(0);
    }
  });
});
