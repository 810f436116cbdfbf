/**
 * requestsPerMinute across many isolates, as pure code: the host runs it
 * (data-plane/rate-limit.ts in each isolate, UsageStore in AppControl) and
 * the rate-limit simulation runs the very same code with a simulated clock.
 *
 * AppControl, one object per app, is the only authority: it grants tokens of
 * each fixed minute and never more than the limit, less what isolates gave
 * back, each grant at most an even share of what is left among the isolates
 * that called lately (so near the limit grants shrink to single tokens, and
 * no isolate sits on what the others need). An isolate spends its tokens without asking (no Durable Object call
 * on most requests) and leases more when it runs out, as many as its own
 * recent demand needs for about LEASE_HORIZON_MS, 2 s (at most twice the requests
 * it saw since its last lease, and no more than it can spend before the
 * minute ends). With its usage report, every REPORT_MS while it serves, it
 * gives back what it holds beyond its next horizon's need. Refused (nothing
 * left), it refuses locally and asks again after EXHAUSTED_RECHECK_MS (then
 * twice as long each time, up to the minute's end), since
 * other isolates may give tokens back; once every token out was reported
 * spent, AppControl says so and the isolate refuses until the minute ends.
 *
 * Error bound: over-admission none (an isolate spends only granted tokens
 * of the current minute, and gives back only tokens it then drops), unless
 * AppControl cannot be reached (the host admits rather than fail the app).
 * Under-admission: tokens granted but not spent in their minute, i.e. those
 * held by isolates whose requests stop: each holds at most its last lease,
 * max(1, about two seconds of its demand), until its next report.
 */

export const RATE_WINDOW_MS = 60_000;
/** A lease is sized to cover about this long of the isolate's recent demand. */
export const LEASE_HORIZON_MS = 2_000;
/** An isolate reports its served count, and gives back surplus tokens, at most this often. */
export const REPORT_MS = 5_000;
/** After AppControl granted nothing, the isolate refuses locally this long, then asks again (doubling each time). */
export const EXHAUSTED_RECHECK_MS = 2_000;
/** The shortest span a demand rate is measured over (Date.now() in Workers moves only with I/O). */
const MIN_RATE_SPAN_MS = 20;

export const windowOf = (now: number): number => Math.floor(now / RATE_WINDOW_MS);

/** One call to AppControl: tokens wanted for `window`, tokens given back for it, and served counts to record. */
export interface LeaseCall {
  /** The calling isolate (random, per isolate): AppControl shares what is left between the isolates it hears from. */
  isolate: string;
  window: number;
  want: number;
  returned: number;
  used: number;
  usedWindow: number;
}

/** AppControl's answer to a lease call. */
export interface LeaseAnswer {
  granted: number;
  limit: number;
  /** Nothing is left this minute, and none can come back: refuse until it ends. */
  final: boolean;
}

/**
 * A lease call as AppControl receives it over RPC: a LeaseCall, or the
 * positional arguments (window, want, used, usedWindow) of the previous host
 * release, whose isolates still call while a rollout is under way. Fields are
 * made numbers (an isolate of another release may leave some out).
 */
export function leaseCallOf(call: LeaseCall | number, previous: number[] = []): LeaseCall {
  const n = (x: unknown) => (typeof x === "number" && Number.isFinite(x) ? x : 0);
  if (typeof call === "number") {
    const [want, used, usedWindow] = previous;
    return {
      isolate: "previous-release",
      window: call,
      want: n(want),
      returned: 0,
      used: n(used),
      usedWindow: n(usedWindow),
    };
  }
  return {
    isolate: String(call.isolate),
    window: n(call.window),
    want: n(call.want),
    returned: n(call.returned),
    used: n(call.used),
    usedWindow: n(call.usedWindow),
  };
}

/**
 * AppControl's side: the grant for one call, given what is out in that
 * minute already and how many isolates share what is left (each lease takes
 * at most an even share of it, so that no isolate holds what the others will
 * need: near the limit, grants shrink to single tokens). `spent` is what
 * isolates reported served in that minute.
 */
export function grantLease(
  out: number,
  call: Pick<LeaseCall, "want" | "returned">,
  limit: number,
  sharers = 1,
  spent = 0,
): LeaseGrant {
  const left = Math.max(0, out - Math.max(0, call.returned || 0));
  const remaining = Math.max(0, limit - left);
  const share = Math.max(1, Math.ceil(remaining / Math.max(1, sharers)));
  const give = Math.max(0, Math.min(Math.floor(call.want), remaining, share));
  // Nothing left, and every token out was reported spent: none can come back this minute.
  return { give, out: left + give, final: remaining === 0 && spent >= left };
}

/** A grant: the tokens given, what is out afterwards, and whether the minute has no more to give at all. */
export interface LeaseGrant {
  give: number;
  out: number;
  final: boolean;
}

/** An isolate that called within this long is counted among those sharing an app's budget. */
export const SHARER_MS = 10_000;

/** AppControl's view of the isolates that lease an app's tokens lately (in memory: an estimate). */
export class LeaseSharers {
  private seen = new Map<string, number>();
  private pruned = 0;

  /** Records a call from `isolate` at `now`; returns how many isolates called within SHARER_MS. */
  count(isolate: string, now: number): number {
    this.seen.set(isolate, now);
    if (now - this.pruned >= 1_000) {
      this.pruned = now;
      for (const [id, at] of this.seen) if (now - at > SHARER_MS) this.seen.delete(id);
    }
    return this.seen.size;
  }
}

/** One isolate's budget for one app. Every method takes the clock, so a simulation can drive it. */
export class LeaseBudget {
  window: number;
  /** Tokens held for `window`. */
  tokens = 0;
  /** AppControl granted nothing: refuse locally until then. */
  refusedUntil = 0;
  /** Grants of nothing in a row (each doubles the wait before asking again). */
  private refusals = 0;
  /** Requests that asked for admission since the last lease, and since when. */
  private demand = 0;
  private demandSince: number;
  private everLeased = false;
  /** Served and not reported yet, and their minute; a past minute's count waits in `stale`. */
  private unreported = 0;
  private unreportedWindow: number;
  private stale: { used: number; window: number } | null = null;
  private lastReport: number;

  constructor(
    now: number,
    private readonly isolate: string,
  ) {
    this.window = windowOf(now);
    this.unreportedWindow = this.window;
    this.demandSince = now;
    this.lastReport = now;
  }

  /** Moves to the minute `now` falls in; a past minute's tokens are void. */
  private roll(now: number): void {
    const w = windowOf(now);
    if (w === this.window) return;
    this.window = w;
    this.tokens = 0;
    this.refusedUntil = 0;
    this.refusals = 0;
  }

  /** A request asks for admission: counted once per request, for the demand rate. */
  ask(): void {
    this.demand++;
  }

  /** Spends a token for a request, if one is held for the current minute. */
  take(now: number): boolean {
    this.roll(now);
    if (this.tokens <= 0) return false;
    this.tokens--;
    if (this.unreportedWindow !== this.window) {
      if (this.unreported > 0) this.stale = { used: this.unreported, window: this.unreportedWindow };
      this.unreported = 0;
      this.unreportedWindow = this.window;
    }
    this.unreported++;
    return true;
  }

  /** Whether a request must be refused now without asking AppControl. */
  refused(now: number): boolean {
    this.roll(now);
    return this.tokens <= 0 && now < this.refusedUntil;
  }

  /** The call to make when no token is held: a lease sized by demand, with the served count. */
  leaseCall(now: number): LeaseCall {
    this.roll(now);
    const want = this.everLeased ? this.wanted(now) : 1;
    this.demand = 0;
    this.demandSince = now;
    this.everLeased = true;
    return this.withReport(now, { ...this.call(), want });
  }

  /**
   * Records a lease's answer: `granted` tokens of call.window; `final`: the
   * minute has none left to give (refuse until it ends, not just a while).
   */
  granted(call: LeaseCall, granted: number, now: number, final = false): void {
    this.roll(now);
    if (call.window !== this.window) return;
    this.tokens += granted;
    if (granted > 0) this.refusals = 0;
    else if (call.want > 0) {
      // 2, 4, 8, … s: tokens come back rarely, and every refused isolate asks.
      const wait = EXHAUSTED_RECHECK_MS * 2 ** Math.min(this.refusals++, 5);
      const end = (this.window + 1) * RATE_WINDOW_MS;
      this.refusedUntil = final ? end : Math.min(now + wait, end);
    }
  }

  /**
   * After a request: a report to send in the background (want 0), when a
   * past minute's count waits or REPORT_MS passed; it gives back the tokens
   * held beyond the next horizon's need. null: nothing to send.
   */
  dueReport(now: number): LeaseCall | null {
    this.roll(now);
    if (!this.stale && (this.unreported === 0 || now - this.lastReport < REPORT_MS)) return null;
    const need = Math.ceil(this.rate(now) * LEASE_HORIZON_MS);
    const returned = this.tokens > 2 * need + 1 ? this.tokens - need : 0;
    this.tokens -= returned;
    return this.withReport(now, { ...this.call(), returned });
  }

  private call(): LeaseCall {
    return { isolate: this.isolate, window: this.window, want: 0, returned: 0, used: 0, usedWindow: this.window };
  }

  /** Adds the served count to a call: a past minute's first, else this minute's. */
  private withReport(now: number, call: LeaseCall): LeaseCall {
    this.lastReport = now;
    if (this.stale) {
      const { used, window } = this.stale;
      this.stale = null;
      return { ...call, used, usedWindow: window };
    }
    const used = this.unreported;
    this.unreported = 0;
    return { ...call, used, usedWindow: this.unreportedWindow };
  }

  /** Requests per ms since the last lease. */
  private rate(now: number): number {
    return this.demand / Math.max(MIN_RATE_SPAN_MS, now - this.demandSince);
  }

  /** About LEASE_HORIZON_MS of demand, at most twice the requests since the last lease, and what the minute has left. */
  private wanted(now: number): number {
    const rate = this.rate(now);
    const msLeft = (this.window + 1) * RATE_WINDOW_MS - now;
    const horizon = Math.ceil(rate * Math.min(LEASE_HORIZON_MS, msLeft));
    return Math.max(1, Math.min(horizon, 2 * Math.max(1, this.demand)));
  }
}
