/**
 * An app's gradual rollout in its AppControl's SQLite: the candidate, its
 * percent, the error threshold and whether the host stopped it, plus the
 * requests and errors each version served since the rollout started. The
 * stable version is the app's current version (`_dw_app.current_version`).
 */
import type { RolloutInfo, VersionInfo, VersionUsage } from "../../shared/control/responses.js";
import { shortVersion } from "../../shared/schema/index.js";

type RolloutRow = {
  candidate: string;
  percent: number;
  status: "active" | "stopped";
  max_error_rate: number;
  min_requests: number;
  started_at: number;
  updated_at: number;
  stopped_at: number | null;
  stopped_reason: string | null;
};

export interface RolloutSpec {
  candidate: string;
  percent: number;
  maxErrorRate: number;
  minRequests: number;
}

export class RolloutStore {
  constructor(private readonly sql: SqlStorage) {}

  row(): RolloutRow | undefined {
    return this.sql.exec<RolloutRow>("SELECT * FROM _dw_rollout WHERE id = 1").toArray()[0];
  }

  /** Starts a rollout of a new candidate (or starts one again): its counts start from zero. */
  start(spec: RolloutSpec, now: number): void {
    this.sql.exec("DELETE FROM _dw_version_usage");
    this.sql.exec(
      `INSERT OR REPLACE INTO _dw_rollout (id, candidate, percent, status, max_error_rate, min_requests, started_at, updated_at)
       VALUES (1, ?, ?, 'active', ?, ?, ?, ?)`,
      spec.candidate,
      spec.percent,
      spec.maxErrorRate,
      spec.minRequests,
      now,
      now,
    );
  }

  /** A new percent or threshold for the active rollout; false when nothing changed. */
  update(spec: RolloutSpec, now: number): boolean {
    const r = this.row();
    if (
      r &&
      r.percent === spec.percent &&
      r.max_error_rate === spec.maxErrorRate &&
      r.min_requests === spec.minRequests
    )
      return false;
    this.sql.exec(
      "UPDATE _dw_rollout SET percent = ?, max_error_rate = ?, min_requests = ?, updated_at = ? WHERE id = 1",
      spec.percent,
      spec.maxErrorRate,
      spec.minRequests,
      now,
    );
    return true;
  }

  clear(): boolean {
    const had = this.row() !== undefined;
    this.sql.exec("DELETE FROM _dw_rollout");
    this.sql.exec("DELETE FROM _dw_version_usage");
    return had;
  }

  /**
   * Adds what isolates counted per version; stops the active rollout when
   * its candidate's error rate, over at least minRequests, is above the
   * threshold. Returns the reason when it stopped it now.
   */
  record(counts: Record<string, VersionUsage>, now: number): string | null {
    for (const [version, c] of Object.entries(counts)) {
      const requests = Math.max(0, Math.floor(Number(c.requests) || 0));
      const errors = Math.max(0, Math.floor(Number(c.errors) || 0));
      if (requests === 0 && errors === 0) continue;
      this.sql.exec(
        `INSERT INTO _dw_version_usage (version, requests, errors) VALUES (?, ?, ?)
         ON CONFLICT(version) DO UPDATE SET requests = requests + excluded.requests, errors = errors + excluded.errors`,
        version,
        requests,
        errors,
      );
    }
    const r = this.row();
    if (r?.status !== "active") return null;
    const u = this.usage()[r.candidate];
    if (!u || u.requests < r.min_requests) return null;
    const rate = u.errors / u.requests;
    if (rate <= r.max_error_rate) return null;
    const reason =
      `the candidate ${shortVersion(r.candidate)} failed ${u.errors} of its ${u.requests} requests ` +
      `(${pct(rate)}), over maxErrorRate ${pct(r.max_error_rate)}: every object and request is back on the stable version`;
    this.sql.exec(
      "UPDATE _dw_rollout SET status = 'stopped', stopped_at = ?, stopped_reason = ?, updated_at = ? WHERE id = 1",
      now,
      reason,
      now,
    );
    return reason;
  }

  usage(): Record<string, VersionUsage> {
    const out: Record<string, VersionUsage> = {};
    for (const r of this.sql
      .exec<{ version: string; requests: number; errors: number }>("SELECT * FROM _dw_version_usage")
      .toArray())
      out[r.version] = { requests: r.requests, errors: r.errors };
    return out;
  }

  /** Each version's share of objects and stateless requests now. */
  withShares(list: VersionInfo[]): VersionInfo[] {
    const r = this.row();
    const share = r?.status === "active" ? r.percent : 0;
    return list.map((v) => ({ ...v, share: v.current ? 100 - share : v.versionHash === r?.candidate ? share : 0 }));
  }

  info(stable: string | null): RolloutInfo | null {
    const r = this.row();
    if (!r) return null;
    const iso = (t: number | null) => (t === null ? null : new Date(t).toISOString());
    return {
      stable,
      candidate: r.candidate,
      percent: r.percent,
      status: r.status,
      maxErrorRate: r.max_error_rate,
      minRequests: r.min_requests,
      startedAt: iso(r.started_at)!,
      updatedAt: iso(r.updated_at)!,
      stoppedAt: iso(r.stopped_at),
      stoppedReason: r.stopped_reason,
      usage: this.usage(),
    };
  }
}

const pct = (x: number) => `${Math.round(x * 10000) / 100} %`;
