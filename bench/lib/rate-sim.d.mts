// Types of rate-sim.mjs, for the tests that run the simulation.
export interface SimLease {
  RATE_WINDOW_MS: number;
  grantLease(
    out: number,
    call: { want: number; returned: number },
    limit: number,
    sharers?: number,
  ): {
    give: number;
    out: number;
  };
  LeaseBudget: new (now: number, isolate: string) => unknown;
  LeaseSharers?: new () => { count(isolate: string, now: number): number };
}
export interface SimOptions {
  isolates: number;
  limit: number;
  /** Demand as a multiple of the limit. @default 2 */
  factor?: number;
  pattern?: "steady" | "bursty" | "churn";
  latencyMs?: number;
  warmupMs?: number;
  seed?: number;
}
export interface SimResult {
  admitted: number;
  refused: number;
  calls: number;
  limit: number;
  errorPct: number;
}
export const PATTERNS: Record<string, unknown>;
export function simulate(lease: SimLease, opts: SimOptions): SimResult;
export function sliceLease(limit: number): SimLease;
