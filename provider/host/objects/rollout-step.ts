/**
 * What `POST /apps/:app/rollout` does to an app, over its AppControl's
 * stores: start a rollout of a candidate, move its percent, finish it
 * (percent 100 makes the candidate current) or cancel it (the current
 * version as candidate). A rollout the host stopped is not moved on unless
 * asked to start again. Every change bumps the app's deploy number, which
 * objects follow (newer view wins), so each object changes version once.
 */
import { fail, ok, type Result } from "../../shared/control/errors.js";
import type { DeployOutcome, RolloutOutcome } from "../../shared/control/responses.js";
import { shortVersion, type RolloutRequest } from "../../shared/schema/index.js";
import type { VersionManifest } from "../../shared/version-hash.js";
import { resolvedOf, type AppRow } from "./app-row.js";
import type { RolloutStore } from "./rollout-store.js";
import type { ResolvedApp } from "./app-types.js";
import type { platformConfig } from "../env.js";

/** What a rollout step needs of its AppControl. */
export interface RolloutHost {
  row(): AppRow | undefined;
  manifestOf(hash: string): VersionManifest | undefined;
  rollouts: RolloutStore;
  /** null when the version starts; else what it threw. */
  startsOrWhy(next: ResolvedApp): Promise<string | null>;
  deploy(hash: string, expectedCurrent: string | null): Promise<Result<DeployOutcome>>;
  /** Takes a new deploy number (the data plane and objects follow it). */
  bump(): number;
}

export async function rolloutStep(
  h: RolloutHost,
  req: RolloutRequest,
  config: ReturnType<typeof platformConfig>,
): Promise<Result<RolloutOutcome>> {
  const row = h.row();
  if (!row) return fail("not_found", "no such app");
  const current = row.current_version;
  if (req.expectedStable !== undefined && req.expectedStable !== current) {
    return fail(
      "version_conflict",
      `the current (stable) version is ${current ?? "none"}, not ${req.expectedStable ?? "none"} as expected; the app changed since you last read it`,
      { current },
    );
  }
  if (!h.manifestOf(req.versionHash)) return fail("not_found", `version ${req.versionHash} is not stored for this app`);
  const outcome = (changed: boolean): Result<RolloutOutcome> => {
    const r = h.row()!;
    return ok({
      currentVersion: r.current_version,
      rollout: h.rollouts.info(r.current_version),
      deploySeq: r.deploy_seq,
      changed,
    });
  };
  const existing = h.rollouts.row();
  if (existing?.candidate === req.versionHash && existing.status === "stopped" && !req.restart) {
    return fail(
      "rollout_stopped",
      `the rollout of ${shortVersion(req.versionHash)} was stopped by the host: ${existing.stopped_reason}. ` +
        "Deploy a fixed version (a new candidate starts a new rollout), or start this one again (restart: true; CLI: --restart)",
      { reason: existing.stopped_reason },
    );
  }
  if (req.versionHash === current) {
    // The stable version as candidate: back to it everywhere.
    const had = h.rollouts.clear();
    if (had) h.bump();
    return outcome(had);
  }
  if (current === null || req.percent >= 100) {
    const d = await h.deploy(req.versionHash, current);
    return d.ok ? outcome(d.value.changed) : d;
  }
  return moveOrStart(h, req, row, config, outcome);
}

/** A rollout below 100 % of a candidate other than the current version: move the active one, or start one. */
async function moveOrStart(
  h: RolloutHost,
  req: RolloutRequest,
  row: AppRow,
  config: ReturnType<typeof platformConfig>,
  outcome: (changed: boolean) => Result<RolloutOutcome>,
): Promise<Result<RolloutOutcome>> {
  const current = row.current_version;
  const spec = {
    candidate: req.versionHash,
    percent: req.percent,
    maxErrorRate: req.maxErrorRate,
    minRequests: req.minRequests,
  };
  const existing = h.rollouts.row();
  if (existing?.candidate === req.versionHash && existing.status === "active") {
    const changed = h.rollouts.update(spec, Date.now());
    if (changed) h.bump();
    return outcome(changed);
  }
  // A new candidate (or one started again) must start before it serves anything.
  const why = await h.startsOrWhy(
    resolvedOf(row, req.versionHash, row.deploy_seq + 1, h.manifestOf(req.versionHash), config),
  );
  if (why !== null) {
    return fail("start_failed", `version ${req.versionHash} does not start, so no rollout began: ${why}`);
  }
  if (h.row()?.current_version !== current)
    return fail("version_conflict", "the app changed while the candidate loaded", {
      current: h.row()?.current_version ?? null,
    });
  h.rollouts.start(spec, Date.now());
  h.bump();
  return outcome(true);
}

/** Ends the app's rollout (stopped or not): every object and request back on the current version. */
export function cancelRollout(h: RolloutHost, record: (seq: number, version: string) => void): Result<DeployOutcome> {
  h.rollouts.clear();
  const seq = h.bump();
  const v = h.row()!.current_version!;
  record(seq, v);
  return ok({ versionHash: v, previous: v, deploySeq: seq, changed: true });
}

/** The data plane's view of the row: its current version, and an active rollout's candidate beside it. */
export function servedView(h: RolloutHost, row: AppRow, config: ReturnType<typeof platformConfig>): ResolvedApp | null {
  const v = row.current_version;
  if (!v) return null;
  const resolved = resolvedOf(row, v, row.deploy_seq, h.manifestOf(v), config);
  const r = h.rollouts.row();
  const manifest = r?.status === "active" ? h.manifestOf(r.candidate) : undefined;
  if (r && manifest) {
    resolved.rollout = {
      id: r.candidate,
      percent: r.percent,
      candidate: resolvedOf(row, r.candidate, row.deploy_seq, manifest, config),
    };
  }
  return resolved;
}
