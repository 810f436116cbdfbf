/** `POST /apps/:app/scheduled`: runs an app's scheduled handler now, as a cron tick would (for tests and people). */
import { unwrap } from "../../shared/control/errors.js";
import type { RouteAnswer, RouteBody } from "../../shared/control/routes.js";
import { appControlStub } from "../env.js";
import { runScheduled } from "../data-plane/scheduled-runs.js";

export async function fireScheduled(
  env: Env,
  ctx: ExecutionContext,
  app: string,
  body: RouteBody<"runScheduled">,
): Promise<RouteAnswer<"runScheduled">["run"]> {
  const info = unwrap(await appControlStub(env, app).info());
  const cron = body.cron ?? info.settings.crons?.[0] ?? "";
  return runScheduled(env, ctx, app, cron, body.scheduledTime ?? Date.now());
}
