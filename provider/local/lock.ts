/**
 * One local target per state folder: two workerd processes writing the same
 * SQLite files would corrupt them. The lock file holds the owner's pid; a
 * lock whose pid is dead is stale and taken over.
 */
import { openSync, readFileSync, rmSync, writeSync, closeSync } from "node:fs";
import { join } from "node:path";

export const LOCK_FILE = "local.lock";

export interface StateLock {
  path: string;
  release(): void;
}

interface LockContent {
  pid: number;
  startedAt: string;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (e) {
    // EPERM: the process exists but belongs to someone else.
    return (e as NodeJS.ErrnoException).code === "EPERM";
  }
}

function readLock(path: string): LockContent | null {
  try {
    const parsed = JSON.parse(readFileSync(path, "utf8")) as Partial<LockContent>;
    return typeof parsed.pid === "number" ? { pid: parsed.pid, startedAt: String(parsed.startedAt ?? "") } : null;
  } catch {
    return null;
  }
}

/** Takes the state folder's lock, or throws naming the process that holds it. */
export function acquireLock(stateDir: string): StateLock {
  const path = join(stateDir, LOCK_FILE);
  const content: LockContent = { pid: process.pid, startedAt: new Date().toISOString() };
  for (let attempt = 0; attempt < 2; attempt++) {
    try {
      const fd = openSync(path, "wx");
      writeSync(fd, JSON.stringify(content));
      closeSync(fd);
      let released = false;
      return {
        path,
        release() {
          if (released) return;
          released = true;
          // Remove it only if it is still ours (a crash-and-takeover could have replaced it).
          if (readLock(path)?.pid === process.pid) rmSync(path, { force: true });
        },
      };
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== "EEXIST") throw e;
      const holder = readLock(path);
      if (holder && alive(holder.pid)) {
        throw new Error(
          `the state folder ${stateDir} is in use by another dynamic-workers local (pid ${holder.pid}, started ${holder.startedAt}); ` +
            `stop it first, or give this one another --state folder`,
        );
      }
      // Stale (dead pid or unreadable): remove it and try once more.
      rmSync(path, { force: true });
    }
  }
  throw new Error(`could not take the lock ${path}: another process took it at the same time`);
}
