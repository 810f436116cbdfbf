// A discrete-event simulation of requestsPerMinute across many isolates. It
// drives the host's own limiter code (provider/shared/rate-lease.ts, passed
// in as `lease`: the built module for the bench, the source for the tests)
// with a simulated clock: N isolates, each with its LeaseBudget, one
// AppControl granting with grantLease, lease calls that take `latencyMs`,
// and requests arriving by a demand pattern. What the host's wrapper does
// around a budget (data-plane/rate-limit.ts: one lease in flight per isolate,
// the other requests wait for it; reports in the background) is done here
// the same way. It counts the requests admitted in one whole minute window.
import { randomSource } from "./random.mjs";

/** A min-heap of events by time. */
class Events {
  items = [];
  push(e) {
    const a = this.items;
    a.push(e);
    for (let i = a.length - 1; i > 0; ) {
      const p = (i - 1) >> 1;
      if (a[p].t <= a[i].t) break;
      [a[p], a[i]] = [a[i], a[p]];
      i = p;
    }
  }
  pop() {
    const a = this.items;
    const top = a[0];
    const last = a.pop();
    if (a.length > 0) {
      a[0] = last;
      for (let i = 0; ; ) {
        const l = 2 * i + 1;
        const r = l + 1;
        let m = i;
        if (l < a.length && a[l].t < a[m].t) m = l;
        if (r < a.length && a[r].t < a[m].t) m = r;
        if (m === i) break;
        [a[m], a[i]] = [a[i], a[m]];
        i = m;
      }
    }
    return top;
  }
  get size() {
    return this.items.length;
  }
}

/**
 * Demand patterns: each gives the rate (requests per ms) of isolate `i` of `n`
 * at time `t` (ms into the measured window; negative during the warm-up),
 * for a total of `factor` × the limit per minute.
 */
export const PATTERNS = {
  /** The same rate at every isolate, all the time. */
  steady: (perMs) => () => perMs,
  /** All traffic in a 1 s burst every 10 s, at 10× the steady rate. */
  bursty: (perMs) => (_i, _n, t) => (((t % 10_000) + 10_000) % 10_000 < 1_000 ? perMs * 10 : 0),
  /** Zipf-like shares (1/rank), the ranking reshuffled every 5 s: traffic moves between isolates. */
  churn: (perMs, n, random) => {
    const weights = Array.from({ length: n }, (_, r) => 1 / (r + 1));
    const total = weights.reduce((a, b) => a + b, 0);
    const ranks = new Map();
    return (i, _n, t) => {
      const epoch = Math.floor(t / 5_000);
      if (!ranks.has(epoch)) ranks.set(epoch, shuffled(n, random));
      return (perMs * n * weights[ranks.get(epoch)[i]]) / total;
    };
  },
};

function shuffled(n, random) {
  const a = Array.from({ length: n }, (_, i) => i);
  for (let i = n - 1; i > 0; i--) {
    const j = Math.floor(random() * (i + 1));
    [a[i], a[j]] = [a[j], a[i]];
  }
  return a;
}

/**
 * Runs one scenario: `isolates` isolates, `limit` requests per minute,
 * demand `factor` × limit by `pattern`, lease calls of `latencyMs`. The
 * measured window starts at a minute boundary after `warmupMs` of the same
 * traffic. Returns the admitted and refused counts in the window, the lease
 * calls made, and the error against the limit in %.
 */
export function simulate(lease, opts) {
  return new Simulation(lease, opts).run();
}

/** AppControl as the host runs it (usage-store.ts): served counts, shares, grants. */
function simulatedAppControl(lease, limit) {
  const out = new Map(); // tokens out per window
  const spent = new Map(); // served counts reported per window
  const sharers = lease.LeaseSharers ? new lease.LeaseSharers() : { count: () => 1 };
  return (call, t) => {
    const n = sharers.count(call.isolate, t);
    if (call.used > 0) spent.set(call.usedWindow, (spent.get(call.usedWindow) ?? 0) + call.used);
    if (call.want <= 0 && !(call.returned > 0)) return { give: 0, final: false };
    const g = lease.grantLease(out.get(call.window) ?? 0, call, limit, n, spent.get(call.window) ?? 0);
    out.set(call.window, g.out);
    return g;
  };
}

class Simulation {
  constructor(lease, opts) {
    const { isolates, limit, factor = 2, pattern = "steady", latencyMs = 4, warmupMs = 10_000, seed = 1 } = opts;
    Object.assign(this, { isolates, limit, latencyMs, warmupMs });
    const W = lease.RATE_WINDOW_MS;
    this.start = 1_000 * W; // a minute boundary
    this.end = this.start + W;
    this.random = randomSource(seed);
    this.rateOf = PATTERNS[pattern]((factor * limit) / W / isolates, isolates, this.random);
    this.appControl = simulatedAppControl(lease, limit);
    this.stats = { admitted: 0, refused: 0, calls: 0 };
    this.events = new Events();
    this.iso = Array.from({ length: isolates }, (_, i) => ({
      budget: new lease.LeaseBudget(this.start - warmupMs, `isolate-${i}`),
      leasing: false,
      waiting: 0,
    }));
  }

  run() {
    for (let i = 0; i < this.isolates; i++) this.arrive(i, this.start - this.warmupMs);
    while (this.events.size > 0) {
      const e = this.events.pop();
      if (e.t >= this.end) break;
      if (e.kind === "tick") this.arrive(e.i, e.t);
      else if (e.kind === "report") this.appControl(e.call, e.t);
      else if (e.kind === "request") this.request(e.i, e.t);
      else if (e.kind === "granted") this.granted(e);
    }
    const { admitted } = this.stats;
    return { ...this.stats, limit: this.limit, errorPct: ((admitted - this.limit) / this.limit) * 100 };
  }

  /** The next request at isolate `i`: Poisson, re-drawn at least every 100 ms so a pattern's changes take effect. */
  arrive(i, t) {
    const rate = this.rateOf(i, this.isolates, t - this.start);
    const gap = rate > 0 ? -Math.log(1 - this.random()) / rate : Number.POSITIVE_INFINITY;
    if (gap <= 100) this.events.push({ t: t + gap, kind: "request", i });
    else this.events.push({ t: t + 100, kind: "tick", i });
  }

  request(i, t) {
    this.iso[i].budget.ask();
    if (!this.serve(i, t)) this.iso[i].waiting++;
    this.arrive(i, t);
  }

  /** A lease answered: the waiting requests try again, in order. */
  granted(e) {
    const s = this.iso[e.i];
    s.leasing = false;
    s.budget.granted(e.call, e.grant.give, e.t, e.grant.final);
    let still = 0;
    for (let k = 0; k < s.waiting; k++) if (!this.serve(e.i, e.t)) still++;
    s.waiting = still;
  }

  /** The wrapper's loop for one request at isolate `i`: take, refuse, wait for the lease in flight, or lease. */
  serve(i, t) {
    const s = this.iso[i];
    if (s.budget.take(t)) {
      this.count(t, true);
      const r = s.budget.dueReport(t);
      if (r) this.events.push({ t: t + this.latencyMs / 2, kind: "report", call: r });
      return true;
    }
    if (s.budget.refused(t)) {
      this.count(t, false);
      return true;
    }
    if (!s.leasing) {
      s.leasing = true;
      this.stats.calls++;
      const call = s.budget.leaseCall(t);
      const grant = this.appControl(call, t + this.latencyMs / 2);
      this.events.push({ t: t + this.latencyMs, kind: "granted", i, call, grant });
    }
    return false;
  }

  count(t, admitted) {
    if (t < this.start || t >= this.end) return;
    if (admitted) this.stats.admitted++;
    else this.stats.refused++;
  }
}

/**
 * The limiter before demand-sized leases, as a baseline for the bench: each
 * lease a fixed 1/20 of the limit (at most 1000), nothing given back, and
 * refused until the minute ends once AppControl grants nothing.
 */
export const sliceLease = (limit) => ({
  RATE_WINDOW_MS: 60_000,
  grantLease: (out, call, lim) => {
    const give = Math.max(0, Math.min(call.want, lim - out));
    return { give, out: out + give, final: false };
  },
  LeaseBudget: class {
    tokens = 0;
    window;
    exhausted = false;
    constructor(now) {
      this.window = Math.floor(now / 60_000);
    }
    roll(now) {
      const w = Math.floor(now / 60_000);
      if (w !== this.window) Object.assign(this, { window: w, tokens: 0, exhausted: false });
    }
    ask() {}
    take(now) {
      this.roll(now);
      if (this.tokens <= 0) return false;
      this.tokens--;
      return true;
    }
    refused(now) {
      this.roll(now);
      return this.tokens <= 0 && this.exhausted;
    }
    leaseCall(now) {
      this.roll(now);
      return { window: this.window, want: Math.max(1, Math.min(1000, Math.ceil(limit / 20))), returned: 0 };
    }
    granted(call, give, now) {
      this.roll(now);
      if (call.window !== this.window) return;
      this.tokens += give;
      if (give === 0) this.exhausted = true;
    }
    dueReport() {
      return null;
    }
  },
});
