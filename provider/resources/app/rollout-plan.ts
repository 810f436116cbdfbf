/**
 * The rollout a change asks for, planned at check time from the previous
 * state (check gets it; the program does not know what is deployed): the
 * new code is the candidate, and the stable version is the one the
 * previous state deployed, or the stable of the rollout it was in. The plan
 * rides in state as `rollout`, so `pulumi preview --diff` and the
 * pull-request comment show "1a2b3c4d → 5e6f7a8b at 10 %". Loads only
 * schemas and state (check runs for every app on every preview).
 */
import { rolloutSummary } from "../../shared/schema/index.js";
import { readAppState, type StoredAppState } from "./state.js";

const HASH = /^[0-9a-f]{64}$/;

/** `news` with its rollout planned: a `rollout` property while one is in progress, none otherwise. */
export function planRollout(olds: StoredAppState | undefined, news: StoredAppState): StoredAppState {
  const { rollout: _, ...rest } = news;
  const percent = news.settings?.rollout?.percent;
  if (percent === undefined || percent >= 100 || !olds?.code) return rest;
  const was = readAppState(olds);
  const stable = was.rollout?.stable ?? was.code.versionHash;
  const candidate = news.code?.versionHash;
  if (!HASH.test(stable) || typeof candidate !== "string" || candidate === stable) return rest;
  // A candidate not known yet (computed at preview): the plan says so rather than showing a placeholder's hash.
  const summary = HASH.test(candidate)
    ? rolloutSummary(stable, candidate, percent)
    : `${rolloutSummary(stable, candidate, percent).split(" → ")[0]} → (new version) at ${percent} %`;
  return { ...rest, rollout: { stable, summary } };
}
