// requestsPerMinute on many real isolates: the host bundle as 24 Workers in
// one workerd (each its own isolate), sharing one control plane, as
// isolates of one script on Cloudflare share their AppControl objects.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsApp, startHostIsolates, type TestHost } from "../helpers/host.js";

/** More than the 20 a fixed 1/20 slice of the limit can serve. */
const ISOLATES = 24;
/** Concurrent requests per isolate in each round of a flood. */
const PER_ROUND = 2;

let host: TestHost;
let isolates: ((path: string) => Promise<Response>)[];
beforeAll(async () => {
  ({ host, isolates } = await startHostIsolates(ISOLATES, { config: { cacheTtlSeconds: 0 } }));
}, 120_000);
afterAll(() => host?.dispose());

const minute = () => Math.floor(Date.now() / 60_000);

interface Flood {
  admitted: number;
  /** Requests admitted before the first 429 of any isolate. */
  admittedBeforeFirstRefusal: number;
  other: number[];
}

/**
 * Floods every isolate in rounds (PER_ROUND concurrent requests to each, all
 * isolates at once) until, in one round, every isolate answered only 429.
 * Within one minute window: a flood that crossed a minute boundary is made
 * again on a fresh app.
 */
async function flood(limit: number, name: string): Promise<Flood> {
  for (let attempt = 0; ; attempt++) {
    const app = `${name}-${attempt}`;
    await host.control.rollOut(app, jsApp("export default { fetch() { return new Response('ok'); } };"), {
      quota: { requestsPerMinute: limit },
    });
    const started = minute();
    const f: Flood = { admitted: 0, admittedBeforeFirstRefusal: -1, other: [] };
    for (let round = 0; round < 1000; round++) {
      const statuses = await Promise.all(
        isolates.flatMap((fetchAt) =>
          Array.from({ length: PER_ROUND }, async () => {
            const res = await fetchAt(`/apps/${app}/`);
            await res.arrayBuffer();
            return res.status;
          }),
        ),
      );
      for (const s of statuses) {
        if (s === 200) f.admitted++;
        else if (s === 429) {
          if (f.admittedBeforeFirstRefusal < 0) f.admittedBeforeFirstRefusal = f.admitted;
        } else f.other.push(s);
      }
      if (statuses.every((s) => s === 429)) break;
    }
    if (minute() === started || attempt >= 2) return f;
  }
}

describe("requestsPerMinute across 24 isolates", () => {
  it("flooded until every isolate refuses, they admit exactly the limit", async () => {
    const f = await flood(600, "exact");
    expect(f.other).toEqual([]);
    expect(f.admitted).toBe(600);
  });

  it("no isolate refuses while much of the minute's budget sits unspent in others", async () => {
    const f = await flood(1200, "fair");
    expect(f.admitted).toBe(1200);
    // Each isolate holds at most about twice the requests it saw since its last lease.
    expect(f.admittedBeforeFirstRefusal).toBeGreaterThanOrEqual(1200 * 0.9);
  });
});
