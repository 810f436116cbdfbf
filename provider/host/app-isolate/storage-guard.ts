/**
 * The storage guard of an app's Durable Object class: once the supervisor
 * says the app is over maxStorageBytes, writes (INSERT, UPDATE, REPLACE,
 * CREATE, ALTER, `storage.put`) throw and reads and deletes work. It runs
 * inside the app's isolate: it gives an app that keeps to its quota a clear
 * error, and an app that defeats it only loses that error, since the host
 * measures each database itself and stops an object that keeps growing.
 */

// Comments, string literals and quoted names are removed first, so neither hides nor fakes a write.
const WRITE_WORDS = /\b(insert|update|create|alter)\b|\breplace\b(?!\s*\()/i;

export function isWrite(query: unknown): boolean {
  const bare = String(query)
    .replace(/'(?:[^']|'')*'/g, "''")
    .replace(/"(?:[^"]|"")*"/g, '""')
    .replace(/\/\*[\s\S]*?(\*\/|$)/g, " ")
    .replace(/--[^\n]*/g, " ");
  return WRITE_WORDS.test(bare);
}

function refuse(): never {
  throw new Error(
    "this app is over its maxStorageBytes quota: writes are refused until its stored bytes fall below the quota or the quota grows (reads and deletes still work)",
  );
}

export interface StorageGuard {
  readOnly: boolean;
  /** The object's database size in bytes. */
  size(): number;
}

/** Patches the object's storage in place (the runtime insists on the real state object). */
export function guardStorage(ctx: DurableObjectState): StorageGuard {
  const storage = ctx.storage;
  const sql = storage.sql;
  const exec = sql.exec;
  const put = storage.put;
  const guard: StorageGuard = { readOnly: false, size: () => sql.databaseSize };
  Object.defineProperty(sql, "exec", {
    value: (query: string, ...args: unknown[]) => {
      if (guard.readOnly && isWrite(query)) refuse();
      return exec.call(sql, query, ...(args as []));
    },
  });
  Object.defineProperty(storage, "put", {
    value: async (...args: unknown[]) => {
      if (guard.readOnly) refuse();
      return (put as (...a: unknown[]) => Promise<void>).apply(storage, args);
    },
  });
  return guard;
}
