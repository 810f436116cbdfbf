/**
 * requestsPerMinute without a Durable Object call per request: each isolate
 * holds a LeaseBudget per app (../../shared/rate-lease.ts, where the design
 * and its error bound are), spends its tokens locally, and leases more from
 * AppControl, sized by its own demand, when it runs out. Usage reports (and
 * tokens given back) go in the background every few seconds.
 */
import type { ResolvedApp } from "../objects/app-types.js";
import { appControlStub } from "../env.js";
import { LeaseBudget, RATE_WINDOW_MS, type LeaseAnswer, type LeaseCall } from "../../shared/rate-lease.js";

/**
 * A lease call older than this is taken over by the next request. A lease
 * takes milliseconds; one whose request was cancelled (its client went
 * away) never finishes, and every request of the app would wait on it.
 */
const LEASE_STALE_MS = 1_000;
/** A request waiting for another's lease looks again after 2, 4, 8, … ms, at most this. */
const WAIT_MAX_MS = 32;

interface Budget {
  lease: LeaseBudget;
  /** When the lease call in flight started (made by one request; others wait in their own context); 0: none. */
  leasingSince: number;
}

const budgets = new Map<string, Budget>();

export type Admission = { ok: true } | { ok: false; retryAfterSeconds: number; limit: number };
const ADMITTED: Admission = { ok: true };

/** This isolate's id in its lease calls (made on first use: no random values at a Worker's top level). */
let isolateId: string | undefined;

function budgetOf(app: string, now: number): Budget {
  let b = budgets.get(app);
  if (!b) {
    isolateId ??= crypto.randomUUID();
    b = { lease: new LeaseBudget(now, isolateId), leasingSince: 0 };
    budgets.set(app, b);
  }
  return b;
}

/**
 * Admits a request from this isolate's tokens, without waiting: the common
 * case. undefined: none held (or the minute turned), so admit() must lease or
 * refuse; it counts the request's demand then.
 */
export function admitNow(env: Env, ctx: ExecutionContext, app: string): Admission | undefined {
  const b = budgets.get(app);
  if (!b) return undefined;
  const now = Date.now();
  if (!b.lease.take(now)) return undefined;
  b.lease.ask();
  report(env, ctx, app, b, now);
  return ADMITTED;
}

export async function admit(env: Env, ctx: ExecutionContext, resolved: ResolvedApp): Promise<Admission> {
  const { app } = resolved;
  const limit = resolved.quota.requestsPerMinute;
  budgetOf(app, Date.now()).lease.ask();
  for (let waitMs = 2; ; ) {
    const now = Date.now();
    const b = budgetOf(app, now);
    if (b.lease.take(now)) {
      report(env, ctx, app, b, now);
      return ADMITTED;
    }
    if (b.lease.refused(now)) {
      const windowEnd = (b.lease.window + 1) * RATE_WINDOW_MS;
      return { ok: false, retryAfterSeconds: Math.max(1, Math.ceil((windowEnd - now) / 1000)), limit };
    }
    // A lease older than LEASE_STALE_MS belongs to a request that died: take over.
    if (b.leasingSince && now - b.leasingSince < LEASE_STALE_MS) {
      // Another request is leasing. Workers may not await another request's I/O,
      // so wait in this request's own context and look again.
      await scheduler.wait(waitMs);
      waitMs = Math.min(waitMs * 2, WAIT_MAX_MS);
      continue;
    }
    await lease(env, app, b, now);
  }
}

async function lease(env: Env, app: string, b: Budget, now: number): Promise<void> {
  const call = b.lease.leaseCall(now);
  b.leasingSince = now;
  try {
    const { granted, final } = await send(env, app, call);
    b.lease.granted(call, granted, Date.now(), final);
  } catch {
    // AppControl unreachable: admit this request rather than fail the app.
    b.lease.granted(call, 1, Date.now());
  } finally {
    // Unless the lease went stale and another request took it over meanwhile.
    if (b.leasingSince === now) b.leasingSince = 0;
  }
}

function send(env: Env, app: string, c: LeaseCall): Promise<LeaseAnswer> {
  return appControlStub(env, app).leaseRequests(c);
}

/** The served count (and tokens given back), in the background, when one is due. */
function report(env: Env, ctx: ExecutionContext, app: string, b: Budget, now: number): void {
  const call = b.lease.dueReport(now);
  if (!call) return;
  ctx.waitUntil(
    send(env, app, call).then(
      () => undefined,
      () => undefined,
    ),
  );
}
