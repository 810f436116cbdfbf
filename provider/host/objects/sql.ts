/**
 * Schema versioning for the host's SQLite objects: each object keeps its
 * schema version in `_dw_meta`, and runs only the steps after it.
 */
export function migrate(sql: SqlStorage, steps: readonly string[]): void {
  sql.exec("CREATE TABLE IF NOT EXISTS _dw_meta (key TEXT PRIMARY KEY, value TEXT NOT NULL)");
  const row = sql.exec<{ value: string }>("SELECT value FROM _dw_meta WHERE key = 'schema_version'").toArray()[0];
  const from = row ? Number(row.value) : 0;
  if (from > steps.length) {
    throw new Error(`storage schema version ${from} is newer than this host knows (${steps.length}); refusing to run`);
  }
  for (let v = from; v < steps.length; v++) sql.exec(steps[v]!);
  if (from !== steps.length) {
    sql.exec(
      "INSERT INTO _dw_meta (key, value) VALUES ('schema_version', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
      String(steps.length),
    );
  }
}
