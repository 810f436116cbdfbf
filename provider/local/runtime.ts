/**
 * The one Miniflare 4 instance (one workerd process) that runs every
 * uploaded script. A change of scripts is one `setOptions` with the whole
 * set; Durable Object data lives on disk (durableObjectsPersist), so a swap
 * keeps it. With no script there is no workerd at all: starting is cheap.
 */
import { createRequire } from "node:module";
import type { Readable } from "node:stream";
import type { Miniflare, WorkerOptions } from "miniflare";
import { InFlight } from "./in-flight.js";
import { workerdRssBytes } from "./rss.js";

/** How often workerd's RSS is read against maxRssBytes. */
const RSS_CHECK_MS = 2_000;
/** How long a recycle waits for open requests to end before it restarts workerd anyway. */
const RECYCLE_DRAIN_MS = 10_000;

/**
 * The workerd binary of this package's own `workerd` dependency, for
 * Miniflare (which reads MINIFLARE_WORKERD_PATH when it starts workerd)
 * unless the caller chose one. Miniflare 4.20260730.0 asks for workerd
 * 1.20260730.1, which under load held requests from an app's isolate to a
 * Durable Object that writes for seconds (bench/repro/loader-object-tail.mjs);
 * npm `overrides` only reach this repository, not projects that install us.
 */
export function useOwnWorkerd(): void {
  if (process.env.MINIFLARE_WORKERD_PATH) return;
  const workerd = createRequire(import.meta.url)("workerd") as { default: string };
  process.env.MINIFLARE_WORKERD_PATH = workerd.default;
}

export interface RuntimeOptions {
  /** Miniflare's durableObjectsPersist folder. */
  durableObjectsDir: string;
  /** Receives workerd's output (scripts' console, uncaught errors), line by line. */
  log: (line: string) => void;
  /**
   * Called when workerd died and Miniflare started it again with the same
   * scripts and data: why it died (its last fatal line, if it printed one)
   * and the app it was most likely running.
   */
  onRestart?: (why: string | null, likely: string | null) => void;
  /**
   * The caller stops the runtime on SIGINT/SIGTERM itself. Miniflare's own
   * handlers exit the process at once, before a clean stop could run, so
   * they are removed (its 'exit' hook, which kills workerd, stays).
   */
  callerHandlesSignals?: boolean;
  /**
   * workerd never evicts a loaded isolate: past this RSS it is restarted
   * between requests (new ones wait, open ones finish first), with the same
   * scripts and the Durable Object data on disk. 0: never. @default 0
   */
  maxRssBytes?: number;
  /** Called after each such restart, with the RSS that caused it. */
  onRecycle?: (rssBytes: number) => void;
}

/** workerd failed to start with the new set of scripts. */
export class RuntimeStartError extends Error {
  override name = "RuntimeStartError";
}

/** workerd's last words when it aborts (V8 out of memory, a failed assertion, a signal). */
const FATAL = /fatal:|Received signal|heap out of memory/;

/** workerd only warns when a namespace's class is not exported; Cloudflare refuses such an upload. */
const MISSING_CLASS = /referenced the class "([^"]+)", but no such Durable Object class is exported/g;

export class Runtime {
  private mf: Miniflare | null = null;
  private entry: URL | null = null;
  /** Grows on every apply: connections to an older workerd are not reused. */
  generation = 0;
  private swap: Promise<unknown> = Promise.resolve();
  /** Lines written by workerd while an apply is under way. */
  private capture: string[] | null = null;
  private readonly options: RuntimeOptions;
  /** Requests sent into workerd and not yet answered (the server records them). */
  readonly inFlight = new InFlight();
  /** workerd's first fatal-looking line since it last started, for the restart message. */
  private lastFatal: string | null = null;

  /** The workers of the last apply, for a recycle. */
  private workers: WorkerOptions[] = [];
  private monitor: ReturnType<typeof setInterval> | undefined;
  private recycling = false;
  /** workerd restarts made because of maxRssBytes. */
  recycles = 0;

  /** Miniflare takes about 0.6 s to load: not at all while no script runs. */
  private miniflare: Promise<typeof import("miniflare")> | undefined;

  constructor(options: RuntimeOptions) {
    this.options = options;
  }

  /** Loads Miniflare ahead of the first upload (call once ready: loading blocks the event loop). */
  preload(): void {
    this.loadMiniflare().catch(() => undefined);
  }

  private loadMiniflare(): Promise<typeof import("miniflare")> {
    useOwnWorkerd();
    this.miniflare ??= import("miniflare");
    return this.miniflare;
  }

  /** Miniflare's entry URL, or null when no script runs. */
  entryUrl(): URL | null {
    return this.entry;
  }

  /** Resolves once no swap is under way, so a request is not sent into a restarting workerd. */
  async idle(): Promise<void> {
    await this.swap.catch(() => undefined);
  }

  /**
   * Runs exactly these workers. Resolves with the Durable Object classes
   * workerd reported as not exported; throws RuntimeStartError when workerd
   * would not start (the caller re-applies the previous set).
   */
  apply(workers: WorkerOptions[]): Promise<{ missingClasses: string[] }> {
    const run = this.swap.catch(() => undefined).then(() => this.applyNow(workers));
    this.swap = run;
    return run;
  }

  private async applyNow(workers: WorkerOptions[]): Promise<{ missingClasses: string[] }> {
    if (workers.length === 0) {
      await this.close();
      return { missingClasses: [] };
    }
    const options = {
      workers,
      durableObjectsPersist: this.options.durableObjectsDir,
      // Without a cf object Miniflare fetches one from the network (FACTS.md).
      cf: { colo: "LOCAL", country: "XX" },
      host: "127.0.0.1",
      port: 0,
      handleRuntimeStdio: (stdout: Readable, stderr: Readable) => {
        this.pipe(stdout);
        this.pipe(stderr);
      },
      // Miniflare starts workerd again by itself when it dies; the same scripts, and the data on disk.
      unsafeHandleRuntimeRestart: () => this.restarted(),
    };
    this.capture = [];
    this.lastFatal = null;
    this.generation++;
    try {
      if (this.mf) {
        await this.mf.setOptions(options);
      } else {
        const { Miniflare } = await this.loadMiniflare();
        const before = new Set([...process.listeners("SIGINT"), ...process.listeners("SIGTERM")]);
        this.mf = new Miniflare(options);
        if (this.options.callerHandlesSignals) {
          for (const signal of ["SIGINT", "SIGTERM"] as const) {
            for (const l of process.listeners(signal)) if (!before.has(l)) process.off(signal, l);
          }
        }
      }
      this.entry = await this.mf.ready;
      this.workers = workers;
      this.watchRss();
      // workerd's warnings can trail its ready signal by a moment.
      await new Promise((resolve) => setTimeout(resolve, 5));
      const output = this.capture.join("\n");
      return { missingClasses: [...output.matchAll(MISSING_CLASS)].map((m) => m[1]!) };
    } catch (e) {
      const message = (e as Error).message;
      if (this.entry === null && this.mf) {
        // A first start that failed leaves nothing worth keeping.
        await this.mf.dispose().catch(() => undefined);
        this.mf = null;
      }
      throw new RuntimeStartError(message.replace(/There is likely additional logging output above\.?/, "").trim());
    } finally {
      this.capture = null;
    }
  }

  /** Starts reading workerd's RSS, once, if a bound is set. */
  private watchRss(): void {
    const max = this.options.maxRssBytes ?? 0;
    if (max <= 0 || this.monitor) return;
    this.monitor = setInterval(() => {
      if (this.recycling || !this.mf) return;
      const rss = workerdRssBytes();
      if (rss !== null && rss > max) void this.recycle(rss).catch((e) => this.options.log(`recycle failed: ${e}`));
    }, RSS_CHECK_MS);
    this.monitor.unref();
  }

  /**
   * Restarts workerd with the same scripts, between requests: new requests
   * wait (the server awaits idle()), open ones get RECYCLE_DRAIN_MS to end.
   * Called while RSS grows because an app runs away, it may be overtaken by
   * workerd dying: then Miniflare's own restart stands for it.
   * Durable Object data is on disk, so it is kept; open WebSockets close.
   */
  recycle(rssBytes = workerdRssBytes() ?? 0): Promise<void> {
    this.recycling = true;
    const run = this.swap
      .catch(() => undefined)
      .then(async () => {
        try {
          if (!this.mf) return;
          const generation = this.generation;
          const drained = await this.inFlight.drained(RECYCLE_DRAIN_MS);
          // workerd died meanwhile (a runaway app) and Miniflare started it afresh: nothing left to do.
          if (this.generation !== generation) return;
          if (!drained) {
            this.options.log(
              `recycle: requests open for ${RECYCLE_DRAIN_MS / 1000} s are cut off by the restart (oldest: ${this.inFlight.oldest() ?? "none"})`,
            );
          }
          await this.applyNow(this.workers);
          this.recycles++;
          this.options.onRecycle?.(rssBytes);
        } finally {
          this.recycling = false;
        }
      });
    this.swap = run;
    return run;
  }

  private pipe(stream: Readable): void {
    let pending = "";
    stream.setEncoding("utf8");
    stream.on("data", (chunk: string) => {
      pending += chunk;
      const lines = pending.split("\n");
      pending = lines.pop() ?? "";
      for (const line of lines) this.line(line);
    });
    stream.on("end", () => {
      if (pending) this.line(pending);
      pending = "";
    });
  }

  private restarted(): void {
    // Sockets of the keep-alive agents point at the dead process.
    this.generation++;
    const likely = this.inFlight.takeSuspect();
    const why = this.lastFatal;
    this.lastFatal = null;
    this.options.onRestart?.(why, likely);
  }

  private line(line: string): void {
    if (!line.trim()) return;
    // The first fatal line says why (the heap limit); the signal that follows says only how.
    if (this.lastFatal === null && FATAL.test(line)) this.lastFatal = line.replace(/^.*?fatal: /, "").slice(0, 200);
    this.capture?.push(line);
    this.options.log(`[workerd] ${line}`);
  }

  /** Calls a script's scheduled handler as a cron trigger does; false when the script does not run now. */
  async scheduled(script: string, cron: string, scheduledTime: number): Promise<boolean> {
    await this.idle();
    if (!this.mf || this.entry === null) return false;
    const worker = await this.mf.getWorker(script);
    await worker.scheduled({ cron, scheduledTime: new Date(scheduledTime) });
    return true;
  }

  async close(): Promise<void> {
    clearInterval(this.monitor);
    this.monitor = undefined;
    const mf = this.mf;
    this.mf = null;
    this.entry = null;
    if (mf) await mf.dispose();
  }
}
