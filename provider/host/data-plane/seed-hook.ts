/**
 * A preview slot's seed hook: the app's `export async function seed(env)`,
 * run once in the slot's own isolate with the slot's env (its own objects),
 * through the wrapper's seed entrypoint. Production apps are never seeded.
 */
import { SEED_ENTRYPOINT } from "../app-isolate/names.js";
import type { ResolvedApp } from "../objects/app-types.js";
import type { SeedOutcome } from "../../shared/control/preview-responses.js";
import { loadAppWorker } from "./worker-code.js";

/** Runs the hook; `error` holds what it threw. */
export async function runSeed(
  env: Env,
  exports: Cloudflare.Exports,
  resolved: ResolvedApp,
): Promise<SeedOutcome & { error?: string }> {
  const entry = loadAppWorker(env, exports, resolved).getEntrypoint(SEED_ENTRYPOINT) as unknown as {
    run(): Promise<boolean>;
  };
  try {
    return (await entry.run()) ? { seeded: true } : { seeded: false, reason: "the app exports no seed(env)" };
  } catch (e) {
    return { seeded: false, error: e instanceof Error ? `${e.name}: ${e.message}` : String(e) };
  }
}
