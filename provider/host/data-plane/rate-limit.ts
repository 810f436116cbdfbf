/**
 * requestsPerMinute without a Durable Object call per request: each isolate
 * leases a slice of the app's per-minute budget from AppControl and spends
 * it locally. AppControl never grants more than the limit in a minute, so
 * the platform never admits more; an isolate's unspent slice is the most it
 * under-admits (a slice is 1/20 of the limit). Used counts ride along with
 * the leases and a flush every few seconds, for the usage endpoint.
 */
import type { ResolvedApp } from "../objects/app-types.js";
import { appControlStub } from "../env.js";

const WINDOW_MS = 60_000;
const FLUSH_MS = 5_000;
/**
 * A lease call older than this is taken over by the next request. A lease
 * takes milliseconds; one whose request was cancelled (its client went
 * away) never finishes, and every request of the app would wait on it.
 */
const LEASE_STALE_MS = 1_000;
/** A request waiting for another's lease looks again after 2, 4, 8, … ms, at most this. */
const WAIT_MAX_MS = 32;

interface Budget {
  window: number;
  tokens: number;
  /** No more this window: AppControl granted nothing. */
  exhausted: boolean;
  /** When the lease call in flight started (made by one request; others wait in their own context); 0: none. */
  leasingSince: number;
  /** Served but not reported yet, and the window they belong to. */
  unreported: number;
  unreportedWindow: number;
  lastFlush: number;
}

const budgets = new Map<string, Budget>();

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number; limit: number };
const ADMITTED: Admission = { ok: true };

/** The slice an isolate leases at once. */
export function sliceOf(limit: number): number {
  return Math.max(1, Math.min(1000, Math.ceil(limit / 20)));
}

/**
 * Admits a request from this isolate's slice, without waiting: the common
 * case. undefined: the slice is spent (or the minute turned), so admit() must
 * lease or refuse.
 */
export function admitNow(env: Env, ctx: ExecutionContext, app: string): Admission | undefined {
  const b = budgets.get(app);
  if (!b || b.tokens <= 0) return undefined;
  const now = Date.now();
  const window = Math.floor(now / WINDOW_MS);
  if (b.window !== window) return undefined;
  b.tokens--;
  record(env, ctx, app, b, window, now);
  return ADMITTED;
}

export async function admit(env: Env, ctx: ExecutionContext, resolved: ResolvedApp): Promise<Admission> {
  const { app } = resolved;
  const limit = resolved.quota.requestsPerMinute;
  for (let waitMs = 2; ; ) {
    const now = Date.now();
    const window = Math.floor(now / WINDOW_MS);
    let b = budgets.get(app);
    if (!b || b.window !== window) {
      const carried = b
        ? { unreported: b.unreported, unreportedWindow: b.unreportedWindow, lastFlush: b.lastFlush }
        : { unreported: 0, unreportedWindow: window, lastFlush: now };
      b = { window, tokens: 0, exhausted: false, leasingSince: 0, ...carried };
      budgets.set(app, b);
    }
    if (b.tokens > 0) {
      b.tokens--;
      record(env, ctx, app, b, window, now);
      return ADMITTED;
    }
    if (b.exhausted) {
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil(((window + 1) * WINDOW_MS - now) / 1000)), limit };
    }
    // A lease older than LEASE_STALE_MS belongs to a request that died: take over.
    if (b.leasingSince && now - b.leasingSince < LEASE_STALE_MS) {
      // Another request is leasing. Workers may not await another request's I/O,
      // so wait in this request's own context and look again.
      await scheduler.wait(waitMs);
      waitMs = Math.min(waitMs * 2, WAIT_MAX_MS);
      continue;
    }
    const budget = b;
    const report = takeReport(budget);
    budget.leasingSince = now;
    try {
      const { granted } = await appControlStub(env, app).leaseRequests(
        window,
        sliceOf(limit),
        report.used,
        report.window,
      );
      budget.tokens += granted;
      if (granted === 0) budget.exhausted = true;
    } catch {
      // AppControl unreachable: admit this request rather than fail the app.
      budget.tokens += 1;
    } finally {
      // Unless the lease went stale and another request took it over meanwhile.
      if (budget.leasingSince === now) budget.leasingSince = 0;
    }
  }
}

function takeReport(b: Budget): { used: number; window: number } {
  const r = { used: b.unreported, window: b.unreportedWindow };
  b.unreported = 0;
  return r;
}

function record(env: Env, ctx: ExecutionContext, app: string, b: Budget, window: number, now: number): void {
  if (b.unreportedWindow !== window && b.unreported > 0) flush(env, ctx, app, b);
  b.unreportedWindow = window;
  b.unreported++;
  if (now - b.lastFlush >= FLUSH_MS) flush(env, ctx, app, b);
}

function flush(env: Env, ctx: ExecutionContext, app: string, b: Budget): void {
  b.lastFlush = Date.now();
  const { used, window } = takeReport(b);
  if (used === 0) return;
  ctx.waitUntil(
    appControlStub(env, app)
      .leaseRequests(window, 0, used, window)
      .then(() => undefined)
      .catch(() => {}),
  );
}
