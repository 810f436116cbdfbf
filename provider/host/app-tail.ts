/**
 * AppTail: the tail consumer of every app isolate. It keeps console lines and
 * uncaught exceptions, batched per isolate, in the app's AppControl. Tails run
 * after the response is sent, so capture is off the request path; an
 * invocation that logged nothing costs nothing here.
 */
import { WorkerEntrypoint } from "cloudflare:workers";
import { appControlStub, type Env } from "./env.js";
import { LOGS_KEPT, type LogLine } from "./usage-store.js";


const BATCH_MS = 500;
/**
 * What an invocation throws when the host's request to it is dropped because
 * its client went away (workerd's wording). Not the app's error: kept, but
 * marked "disconnect" instead of "exception".
 */
const DISCONNECTED = "Network connection lost.";
const pending = new Map<string, LogLine[]>();

function text(message: unknown): string {
  if (Array.isArray(message)) return message.map(text).join(" ");
  if (typeof message === "string") return message;
  try {
    return JSON.stringify(message) ?? String(message);
  } catch {
    return String(message);
  }
}

export class AppTail extends WorkerEntrypoint<Env, { app: string }> {
  override async tail(events: TraceItem[]): Promise<void> {
    const lines: LogLine[] = [];
    for (const e of events) {
      for (const l of e.logs) lines.push({ at: l.timestamp, level: l.level, message: text(l.message) });
      // A client that went away is not the app's exception.
      if (e.outcome === "canceled") continue;
      for (const x of e.exceptions) {
        lines.push({ at: x.timestamp, level: x.message === DISCONNECTED ? "disconnect" : "exception", message: `${x.name}: ${x.message}` });
      }
    }
    if (lines.length === 0) return;
    const { app } = this.ctx.props;
    const queue = pending.get(app);
    if (queue) {
      queue.push(...lines);
      // Only the newest LOGS_KEPT survive in AppControl: send no more than that.
      if (queue.length > LOGS_KEPT) queue.splice(0, queue.length - LOGS_KEPT);
      return;
    }
    pending.set(app, lines);
    // The first batch of a burst waits briefly so one write carries many lines.
    this.ctx.waitUntil(
      scheduler.wait(BATCH_MS).then(async () => {
        const batch = pending.get(app) ?? [];
        pending.delete(app);
        await appControlStub(this.env, app).appendLogs(batch).catch(() => {});
      }),
    );
  }
}
