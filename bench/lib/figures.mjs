// Statistics and formatting for bench:load's parts (bench/load/): medians,
// percentiles at full resolution, fixed-width columns, UTC clock times.
import { loadavg } from "node:os";

export const median = (xs) => {
  const s = [...xs].sort((a, b) => a - b);
  const mid = s.length >> 1;
  return s.length === 0 ? NaN : s.length % 2 ? s[mid] : (s[mid - 1] + s[mid]) / 2;
};
export function percentiles(values, ps) {
  const s = Float64Array.from(values).sort();
  return ps.map((p) => (s.length ? s[Math.min(s.length - 1, Math.max(0, Math.ceil((p / 100) * s.length) - 1))] : NaN));
}
export const fmt = (n, d = 2) => (Number.isFinite(n) ? n.toFixed(d) : "n/a");
export const pad = (s, n) => String(s).padEnd(n);
export const lpad = (s, n) => String(s).padStart(n);
export const load1 = () => loadavg()[0].toFixed(2);
export const clock = (ms) => new Date(ms).toISOString().slice(11, 23);
