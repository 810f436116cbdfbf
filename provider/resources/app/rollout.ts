/**
 * The App provider's side of gradual rollouts (see rollout-plan.ts for the
 * plan): an update under a plan uploads the candidate and sets its percent;
 * an update without one finishes or cancels the host's rollout. A rollout
 * the host stopped (its error rate) fails the update, saying why: moving a
 * failing version on is what a rollout exists to prevent.
 */
import { ControlApiError, type ControlClient } from "../../control-client/client.js";
import type { AppInfo } from "../../shared/control/responses.js";
import { ROLLOUT_DEFAULTS, rolloutSummary, shortVersion } from "../../shared/schema/index.js";
import type { AppState, RolloutPlan } from "./state.js";

/** The versions the host may have as current for an update from `olds` to be its own. */
export function expectedCurrents(olds: AppState, news: AppState): (string | null)[] {
  return [olds.code.versionHash, news.code.versionHash, ...(olds.rollout ? [olds.rollout.stable] : [])];
}

/**
 * Makes the host serve `news`: the candidate at its planned percent, or
 * (no plan) the rollout finished or cancelled. `upload` stores the version.
 */
export async function applyRollout(
  c: ControlClient,
  news: AppState,
  info: AppInfo,
  upload: () => Promise<void>,
): Promise<void> {
  const want = news.code.versionHash;
  const spec = news.settings.rollout;
  const plan = news.rollout;
  try {
    if (plan && spec && info.currentVersion !== want) {
      if (info.rollout?.candidate !== want) await upload();
      await c.rollout(news.name, {
        versionHash: want,
        percent: spec.percent,
        maxErrorRate: spec.maxErrorRate ?? ROLLOUT_DEFAULTS.maxErrorRate,
        minRequests: spec.minRequests ?? ROLLOUT_DEFAULTS.minRequests,
        expectedStable: info.currentVersion,
      });
      return;
    }
    // No plan: the candidate becomes current (percent 100), or the current version ends the rollout.
    await c.rollout(news.name, { versionHash: want, percent: 100, expectedStable: info.currentVersion });
  } catch (e) {
    if (e instanceof ControlApiError && e.code === "rollout_stopped") throw stopped(news, info, plan);
    throw e;
  }
}

function stopped(news: AppState, info: AppInfo, plan: RolloutPlan | null | undefined): Error {
  const why = info.rollout?.stoppedReason ?? "its error rate passed maxErrorRate";
  const percent = info.rollout?.percent ?? news.settings.rollout?.percent ?? 100;
  return new Error(
    `app '${news.name}': the host stopped the rollout ${rolloutSummary(info.currentVersion, news.code.versionHash, percent)}` +
      ` at ${info.rollout?.stoppedAt ?? "an earlier time"}: ${why}. Nothing changed: ${shortVersion(info.currentVersion)} serves every object and request. ` +
      `Fix the code (a new version starts a new rollout), or try this version again with ` +
      `\`dynamic-workers rollout ${news.name} ${news.settings.rollout?.percent ?? percent} --restart\`${plan ? "" : " before finishing it"}.`,
  );
}

/** What the host serves, as state: the candidate of an active rollout (and its plan), else the current version. */
export function servedByHost(info: AppInfo): {
  versionHash: string | null;
  rollout: RolloutPlan | null;
  percent: number | null;
} {
  const r = info.rollout;
  if (r?.status === "active" && r.stable) {
    return {
      versionHash: r.candidate,
      rollout: { stable: r.stable, summary: rolloutSummary(r.stable, r.candidate, r.percent) },
      percent: r.percent,
    };
  }
  return { versionHash: info.currentVersion, rollout: null, percent: null };
}
