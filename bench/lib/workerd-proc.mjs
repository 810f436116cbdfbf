// The workerd processes a benchmark started, and their memory and CPU time,
// read from /proc (Linux). Elsewhere nothing is found and figures are NaN.
import { execFileSync } from "node:child_process";
import { readFileSync, readdirSync } from "node:fs";

function getconf(name, fallback) {
  try {
    return Number(execFileSync("getconf", [name], { encoding: "utf8" }).trim()) || fallback;
  } catch {
    return fallback;
  }
}
const CLOCK_TICKS = getconf("CLK_TCK", 100);

/** pid, ppid and command name of every process, from /proc/<pid>/stat. */
function processes() {
  const out = [];
  let entries = [];
  try {
    entries = readdirSync("/proc");
  } catch {
    return out;
  }
  for (const name of entries) {
    if (!/^\d+$/.test(name)) continue;
    try {
      const stat = readFileSync(`/proc/${name}/stat`, "utf8");
      const open = stat.indexOf("(");
      const close = stat.lastIndexOf(")");
      const comm = stat.slice(open + 1, close);
      const ppid = Number(stat.slice(close + 2).split(" ")[1]);
      out.push({ pid: Number(name), ppid, comm });
    } catch {
      // gone meanwhile
    }
  }
  return out;
}

/** workerd processes among the descendants of `root` (default: this process). */
export function workerdPids(root = process.pid) {
  const all = processes();
  const children = new Map();
  for (const p of all) {
    if (!children.has(p.ppid)) children.set(p.ppid, []);
    children.get(p.ppid).push(p);
  }
  const found = [];
  const stack = [root];
  while (stack.length) {
    for (const c of children.get(stack.pop()) ?? []) {
      if (c.comm.startsWith("workerd")) found.push(c.pid);
      stack.push(c.pid);
    }
  }
  return found;
}

/** Resident memory (MiB, VmRSS from /proc/<pid>/status) and CPU time so far (ms), summed over pids; null if unreadable. */
export function workerdStats(pids) {
  if (!pids.length) return null;
  try {
    let rssKiB = 0;
    let ticks = 0;
    for (const pid of pids) {
      const status = readFileSync(`/proc/${pid}/status`, "utf8");
      rssKiB += Number(/^VmRSS:\s+(\d+)\s+kB/m.exec(status)?.[1] ?? NaN);
      // Fields after the ")" that closes the command name: utime is the 12th, stime the 13th.
      const f = readFileSync(`/proc/${pid}/stat`, "utf8").split(") ")[1].split(" ");
      ticks += Number(f[11]) + Number(f[12]);
    }
    return { rssMiB: rssKiB / 1024, cpuMs: (ticks * 1000) / CLOCK_TICKS };
  } catch {
    return null;
  }
}
