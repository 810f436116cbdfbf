/**
 * The resident memory of the workerd processes this process started, read
 * from /proc (Linux). workerd never evicts a loaded Worker Loader isolate
 * (about 1 MiB each), so a local target that runs for days grows until the
 * runtime restarts it (runtime.ts, maxRssBytes). Elsewhere: null, and no
 * restart is made.
 */
import { readdirSync, readFileSync } from "node:fs";

/** VmRSS, in bytes, of every workerd child of this process; null when /proc cannot be read. */
export function workerdRssBytes(parent = process.pid): number | null {
  let entries: string[];
  try {
    entries = readdirSync("/proc");
  } catch {
    return null;
  }
  let total = 0;
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(stat.indexOf("(") + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      if (ppid !== parent || !comm.startsWith("workerd")) continue;
      const rss = /^VmRSS:\s+(\d+) kB/m.exec(readFileSync(`/proc/${name}/status`, "utf8"));
      if (rss) total += Number(rss[1]) * 1024;
    } catch {
      // Gone meanwhile.
    }
  }
  return total;
}
