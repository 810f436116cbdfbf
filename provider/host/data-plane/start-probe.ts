/**
 * Loads a version once before it becomes current, as the data plane will
 * (the same loader id, so this also warms the isolate): evaluating the
 * wrapper's probe entrypoint runs every module's top level and the host's
 * checks of the declared classes. A version that throws there never goes
 * live; the one serving keeps serving.
 */
import { PROBE_ENTRYPOINT } from "../app-isolate/names.js";
import type { ResolvedApp } from "../objects/app-types.js";
import { loadAppWorker, loadPlan } from "./worker-code.js";

/** How long a version's modules may take to load before the deploy is refused. */
const START_TIMEOUT_MS = 10_000;

/** null when the version starts; else what it threw. */
export async function startsOrWhy(
  env: Env,
  exports: Cloudflare.Exports,
  resolved: ResolvedApp,
): Promise<string | null> {
  const plan = loadPlan(resolved);
  const probe = loadAppWorker(env, exports, resolved, plan.id).getEntrypoint(
    PROBE_ENTRYPOINT,
    plan.options,
  ) as unknown as {
    ok(): Promise<boolean>;
  };
  let timer: ReturnType<typeof setTimeout> | undefined;
  try {
    await Promise.race([
      probe.ok(),
      new Promise((_, reject) => {
        timer = setTimeout(
          () => reject(new Error(`its modules did not load within ${START_TIMEOUT_MS / 1000} s`)),
          START_TIMEOUT_MS,
        );
      }),
    ]);
    return null;
  } catch (e) {
    return e instanceof Error ? `${e.name}: ${e.message}` : String(e);
  } finally {
    if (timer !== undefined) clearTimeout(timer);
  }
}
