/**
 * An app's usage counters, per-minute request windows and recent log lines,
 * in its AppControl's SQLite (tables created by AppControl's migrations).
 */
import { LOGS_KEPT } from "../app-isolate/names.js";
import type { AppInfo, AppUsage } from "../../shared/control/responses.js";
import { LeaseSharers, grantLease, type LeaseAnswer, type LeaseCall } from "../../shared/rate-lease.js";

/** Request windows (minutes) kept. */
const WINDOWS_KEPT = 5;

export interface LogLine {
  at: number;
  level: string;
  message: string;
}

export class UsageStore {
  /** The isolates that leased this app's requests lately (in memory). */
  private readonly sharers = new LeaseSharers();

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
   * One isolate's lease call: records the requests it served (`used` in
   * minute `usedWindow`), takes back the tokens it gave up, then grants it up
   * to `want` more of minute `window`, never more than `limit` out in all
   * isolates together and at most a share of what is left among the isolates
   * that called lately (grantLease, ../../shared/rate-lease.ts).
   */
  lease(call: LeaseCall, limit: number): LeaseAnswer {
    const sharers = this.sharers.count(call.isolate, Date.now());
    if (call.used > 0) {
      this.bump("requests", call.used);
      this.sql.exec(
        "INSERT INTO _dw_windows (window, granted, used) VALUES (?, 0, ?) ON CONFLICT(window) DO UPDATE SET used = used + excluded.used",
        call.usedWindow,
        call.used,
      );
    }
    if (call.want <= 0 && call.returned <= 0) return { granted: 0, limit, final: false };
    const row = this.sql
      .exec<{ granted: number; used: number }>("SELECT granted, used FROM _dw_windows WHERE window = ?", call.window)
      .toArray()[0];
    const grant = grantLease(row?.granted ?? 0, call, limit, sharers, row?.used ?? 0);
    this.sql.exec(
      "INSERT INTO _dw_windows (window, granted, used) VALUES (?, ?, 0) ON CONFLICT(window) DO UPDATE SET granted = excluded.granted",
      call.window,
      grant.out,
    );
    this.sql.exec("DELETE FROM _dw_windows WHERE window < ?", call.window - WINDOWS_KEPT);
    return { granted: grant.give, limit, final: grant.final };
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
