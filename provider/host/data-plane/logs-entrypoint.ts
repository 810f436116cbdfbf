/**
 * AppLogs: where the wrapper of an app that keeps logs hands over its
 * console lines and handler exceptions (see app-isolate/log-capture.ts), at most every
 * 0.5 s per app isolate. Lines are batched again per app in this isolate,
 * so AppControl gets one write per burst whatever the app does; the app's
 * name is in the props, set by the host, so an app only ever writes its own
 * logs (and, like any console line, can only invent or lose its own).
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { appControlStub } from "../env.js";
import { LOGS_KEPT } from "../app-isolate/names.js";
import type { LogLine } from "../objects/usage-store.js";

const BATCH_MS = 500;
const LEVEL_CHARS = 16;
const MESSAGE_CHARS = 4096;
const pending = new Map<string, LogLine[]>();

/** The lines as the app sent them, checked and cut to size; at most LOGS_KEPT, the newest. */
function clean(lines: unknown): LogLine[] {
  if (!Array.isArray(lines)) return [];
  const out: LogLine[] = [];
  for (const l of lines.slice(-LOGS_KEPT) as unknown[]) {
    if (l === null || typeof l !== "object") continue;
    const { at, level, message } = l as Record<string, unknown>;
    out.push({
      at: typeof at === "number" && Number.isFinite(at) ? at : Date.now(),
      level: String(level).slice(0, LEVEL_CHARS),
      message: String(message).slice(0, MESSAGE_CHARS),
    });
  }
  return out;
}

export class AppLogs extends WorkerEntrypoint<Env, { app: string }> {
  async append(lines: unknown): Promise<void> {
    const batch = clean(lines);
    if (batch.length === 0) return;
    const { app } = this.ctx.props;
    const queue = pending.get(app);
    if (queue) {
      queue.push(...batch);
      // Only the newest LOGS_KEPT survive in AppControl: send no more than that.
      if (queue.length > LOGS_KEPT) queue.splice(0, queue.length - LOGS_KEPT);
      return;
    }
    pending.set(app, batch);
    // The first batch of a burst waits briefly so one write carries many lines.
    this.ctx.waitUntil(
      scheduler.wait(BATCH_MS).then(async () => {
        const lines = pending.get(app) ?? [];
        pending.delete(app);
        await appControlStub(this.env, app)
          .appendLogs(lines)
          .catch(() => {});
      }),
    );
  }
}
