/** An app's recent uncaught errors, with the request ids their 500s carried and the version that threw. */
const ERRORS_KEPT = 50;

export class ErrorStore {
  constructor(private readonly sql: SqlStorage) {}

  record(requestId: string, message: string, versionHash: string | null): void {
    this.sql.exec(
      "INSERT INTO _dw_errors (at, request_id, message, version) VALUES (?, ?, ?, ?)",
      Date.now(),
      requestId,
      message.slice(0, 4096),
      versionHash,
    );
    this.sql.exec("DELETE FROM _dw_errors WHERE id <= (SELECT MAX(id) FROM _dw_errors) - ?", ERRORS_KEPT);
  }

  list(): { at: string; requestId: string; message: string; versionHash: string | null }[] {
    return this.sql
      .exec<{ at: number; request_id: string; message: string; version: string | null }>(
        "SELECT at, request_id, message, version FROM _dw_errors ORDER BY id DESC",
      )
      .toArray()
      .map((r) => ({
        at: new Date(r.at).toISOString(),
        requestId: r.request_id,
        message: r.message,
        versionHash: r.version,
      }));
  }
}
