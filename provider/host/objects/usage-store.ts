/**
 * An app's usage counters, per-minute request windows and recent log lines,
 * in its AppControl's SQLite (tables created by AppControl's migrations).
 */
import { LOGS_KEPT } from "../app-isolate/names.js";
import type { AppInfo, AppUsage } from "../../shared/control/responses.js";

/** Request windows (minutes) kept. */
const WINDOWS_KEPT = 5;

export interface LogLine {
  at: number;
  level: string;
  message: string;
}

export class UsageStore {
  constructor(private readonly sql: SqlStorage) {}

  bump(name: string, by: number): void {
    this.sql.exec(
      "INSERT INTO _dw_counters (name, value) VALUES (?, ?) ON CONFLICT(name) DO UPDATE SET value = value + excluded.value",
      name,
      by,
    );
  }

  counter(name: string): number {
    return (
      this.sql.exec<{ value: number }>("SELECT value FROM _dw_counters WHERE name = ?", name).toArray()[0]?.value ?? 0
    );
  }

  private usedIn(window: number): number {
    return (
      this.sql.exec<{ used: number }>("SELECT used FROM _dw_windows WHERE window = ?", window).toArray()[0]?.used ?? 0
    );
  }

  /**
   * Records `used` requests an isolate served in minute `usedWindow`, then
   * grants it up to `want` more of minute `window`, never more than `limit`
   * in all isolates together. Returns the grant.
   */
  lease(window: number, want: number, limit: number, used: number, usedWindow: number): number {
    if (used > 0) {
      this.bump("requests", used);
      this.sql.exec(
        "INSERT INTO _dw_windows (window, granted, used) VALUES (?, 0, ?) ON CONFLICT(window) DO UPDATE SET used = used + excluded.used",
        usedWindow,
        used,
      );
    }
    if (want <= 0) return 0;
    const granted =
      this.sql.exec<{ granted: number }>("SELECT granted FROM _dw_windows WHERE window = ?", window).toArray()[0]
        ?.granted ?? 0;
    const give = Math.max(0, Math.min(want, limit - granted));
    this.sql.exec(
      "INSERT INTO _dw_windows (window, granted, used) VALUES (?, ?, 0) ON CONFLICT(window) DO UPDATE SET granted = granted + excluded.granted",
      window,
      give,
    );
    this.sql.exec("DELETE FROM _dw_windows WHERE window < ?", window - WINDOWS_KEPT);
    return give;
  }

  report(info: AppInfo, storedBytes: number): AppUsage {
    const window = Math.floor(Date.now() / 60_000);
    const outbound = info.settings.outbound;
    return {
      requests: {
        total: this.counter("requests"),
        thisMinute: this.usedIn(window),
        lastMinute: this.usedIn(window - 1),
        limitPerMinute: info.quota.requestsPerMinute,
      },
      errors: this.counter("errors"),
      objects: { count: info.objects, limit: info.quota.maxObjects, byClass: info.objectsByClass },
      outbound: { total: this.counter("outbound"), allow: outbound === "none" ? "none" : outbound.allow },
      storedBytes: { used: storedBytes, limit: info.quota.maxStorageBytes },
    };
  }

  appendLogs(lines: LogLine[]): void {
    for (const l of lines.slice(-LOGS_KEPT)) {
      this.sql.exec(
        "INSERT INTO _dw_logs (at, level, message) VALUES (?, ?, ?)",
        l.at,
        l.level.slice(0, 16),
        l.message.slice(0, 4096),
      );
    }
    this.sql.exec("DELETE FROM _dw_logs WHERE id <= (SELECT MAX(id) FROM _dw_logs) - ?", LOGS_KEPT);
  }

  logs(): { at: string; level: string; message: string }[] {
    return this.sql
      .exec<{ at: number; level: string; message: string }>("SELECT at, level, message FROM _dw_logs ORDER BY id DESC")
      .toArray()
      .map((r) => ({ at: new Date(r.at).toISOString(), level: r.level, message: r.message }));
  }
}
