/**
 * For an app that keeps logs: its console lines and the exceptions its
 * handlers throw go to a buffer in the isolate; a handler that ends with
 * lines buffered and no hand-over pending starts one in its own waitUntil:
 * it waits out the rest of FLUSH_MS since the last, then hands the buffer to
 * the host's AppLogs entrypoint, again while lines keep coming (for at most
 * 20 s; a later request starts the next). The buffer and the pending flag
 * are values shared by requests; no request awaits another's promise. A
 * hand-over whose request died is taken over after 5 s.
 *
 * A tail would do this too, but a tail is an extra invocation of the host
 * after every request, logging or not (about 1.4x the host's CPU per
 * request, measured); this costs nothing for a request that logs nothing.
 * It runs in the app's isolate: an app can only lose or invent its own lines.
 */
import { LOGS_KEPT } from "./names.js";

/** An isolate hands its lines to the host at most this often. */
const FLUSH_MS = 500;

interface LogLine {
  at: number;
  level: string;
  message: string;
}

interface LogSink {
  append(lines: LogLine[]): Promise<void>;
}

type Ctx = { waitUntil?: (p: Promise<unknown>) => void } | undefined;

/** What the wrapper calls around each handler. */
export interface Capture {
  /** Runs a handler; its exception, sync or async, is kept, and buffered lines are handed over. */
  watch<T>(run: () => T, ctx: unknown): T;
  /** Hands buffered lines over in `ctx`'s waitUntil, unless a hand-over is pending. */
  flush(ctx: unknown): void;
  /** The host's sink, once the env has shown it. */
  setSink(sink: unknown): void;
}

/** Without logs: handlers run as they are. */
export const NO_CAPTURE: Capture = { watch: (run) => run(), flush() {}, setSink() {} };

function text(v: unknown): string {
  if (typeof v === "string") return v;
  if (v instanceof Error) return `${v.name}: ${v.message}`;
  try {
    return JSON.stringify(v) ?? String(v);
  } catch {
    return String(v);
  }
}

/** Starts capturing: patches the console of this isolate. */
export function logCapture(): Capture {
  const state = { sink: null as LogSink | null, lines: [] as LogLine[], pendingSince: 0, last: 0 };
  const line = (level: string, message: string) => {
    state.lines.push({ at: Date.now(), level, message });
    // Only the newest LOGS_KEPT are kept anyway.
    if (state.lines.length > 2 * LOGS_KEPT) state.lines.splice(0, state.lines.length - LOGS_KEPT);
  };
  patchConsole(line);
  const flush = (ctx: unknown) => handOver(state, ctx as Ctx);
  const exception = (e: unknown) => {
    // workerd's words when the request the app works for is gone (its client left): not the app's error.
    const level = e instanceof Error && e.message === "Network connection lost." ? "disconnect" : "exception";
    line(level, e instanceof Error ? `${e.name}: ${e.message}` : `Uncaught ${text(e)}`);
  };
  return {
    watch<T>(run: () => T, ctx: unknown): T {
      let r: T;
      try {
        r = run();
      } catch (e) {
        exception(e);
        flush(ctx);
        throw e;
      }
      if (r === null || typeof r !== "object" || typeof (r as { then?: unknown }).then !== "function") {
        flush(ctx);
        return r;
      }
      return (r as unknown as Promise<unknown>).then(
        (v) => {
          flush(ctx);
          return v;
        },
        (e) => {
          exception(e);
          flush(ctx);
          throw e;
        },
      ) as T;
    },
    flush,
    setSink: (sink) => {
      state.sink = sink as LogSink;
    },
  };
}

function patchConsole(line: (level: string, message: string) => void): void {
  const methods = console as unknown as Record<string, unknown>;
  for (const level of ["log", "info", "warn", "error", "debug"]) {
    const original = methods[level];
    if (typeof original !== "function") continue;
    methods[level] = function (this: unknown, ...args: unknown[]) {
      line(level, args.map(text).join(" "));
      return original.apply(this, args);
    };
  }
}

function handOver(
  state: { sink: LogSink | null; lines: LogLine[]; pendingSince: number; last: number },
  ctx: Ctx,
): void {
  if (!state.lines.length || !state.sink || !ctx || typeof ctx.waitUntil !== "function") return;
  const now = Date.now();
  if (state.pendingSince && now - state.pendingSince < 5000) return;
  state.pendingSince = now;
  const sink = state.sink;
  ctx.waitUntil(
    (async () => {
      try {
        while (state.lines.length && Date.now() - now < 20000) {
          const wait = FLUSH_MS - (Date.now() - state.last);
          if (wait > 0) await scheduler.wait(wait);
          const lines = state.lines;
          state.lines = [];
          state.last = Date.now();
          await sink.append(lines);
        }
      } catch {
        // The host is unreachable: these lines are lost, the app is not.
      } finally {
        if (state.pendingSince === now) state.pendingSince = 0;
      }
    })(),
  );
}
