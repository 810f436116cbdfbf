// bench:load's knobs (environment variables, see bench/load.bench.mjs) and targets.

const num = (name, fallback) => {
  const v = process.env[name];
  if (v === undefined || v === "") return fallback;
  const n = Number(v);
  if (!Number.isFinite(n) || n <= 0) throw new Error(`${name} must be a positive number, got '${v}'`);
  return n;
};

export const LOAD = {
  seconds: num("LOAD_SECONDS", 60),
  connections: num("LOAD_CONNECTIONS", 32),
  apps: Math.max(2, Math.round(num("LOAD_APPS", 100))),
  objectsPerApp: 4,
  deployConcurrency: 8,
};
/** The rate run starts this long after a minute boundary and ends END_MARGIN_MS before the next one. */
export const RATE_START_OFFSET_MS = 250;
const RATE_END_MARGIN_MS = 750;
const RATE_SECONDS = Math.min(num("RATE_SECONDS", 60), (60_000 - RATE_START_OFFSET_MS - RATE_END_MARGIN_MS) / 1000);
export const RATE = {
  seconds: RATE_SECONDS,
  connections: num("RATE_CONNECTIONS", 16),
  // 3000 per minute for a full minute's run; scaled down with a shorter run.
  limit: Math.round(num("RATE_LIMIT", Math.max(100, Math.round((3000 * Math.min(60, num("RATE_SECONDS", 60))) / 60)))),
};
export const LOG = {
  rounds: Math.max(1, Math.round(num("LOG_ROUNDS", 4))),
  seconds: num("LOG_SECONDS", 3),
  warmupSeconds: 1,
  connections: num("LOG_CONNECTIONS", 16),
};
export const PARTS = new Set((process.env.LOAD_PARTS ?? "1,2,3").split(",").map((s) => s.trim()));
export const TARGETS = { rateErrorPct: 10, logRps: 0.95, logP50: 1.05 };
/** Far above any rate this machine reaches: no 429 outside part 2. */
export const HIGH_QUOTA = { requestsPerMinute: 10_000_000 };
