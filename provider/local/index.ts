/**
 * local/: the local target, `dynamic-workers local`.
 *
 * The local target: a Cloudflare API subset (script upload with bindings and
 * migrations, settings, namespaces, subdomain) on one port, running the
 * uploaded scripts on real workerd and keeping everything in a state folder.
 * Point the `cloudflare` SDK's baseURL at `apiBaseUrl`; nothing else changes.
 */
import { mkdirSync } from "node:fs";
import type http from "node:http";
import { resolve } from "node:path";
import { Account } from "./account.js";
import { API_PREFIX, createApi } from "./api.js";
import { acquireLock, type StateLock } from "./lock.js";
import { Runtime } from "./runtime.js";
import { createServer } from "./server.js";
import { StateStore } from "./state.js";
import { runDueSchedules, startCronTimer } from "./schedules.js";

export interface LocalTargetOptions {
  /** The port to listen on; 0 picks a free one. @default 8787 */
  port?: number;
  /** The address to listen on. @default "127.0.0.1" */
  host?: string;
  /** The state folder: scripts, migration tags, namespace ids, Durable Object data. */
  state: string;
  /** No line per API call. @default false */
  quiet?: boolean;
  /** Where log lines go. @default console.log */
  log?: (line: string) => void;
  /**
   * The caller stops the target on SIGINT/SIGTERM (as the CLI does);
   * otherwise Miniflare's handlers exit the process at once. @default false
   */
  callerHandlesSignals?: boolean;
  /**
   * Restart workerd (between requests, state kept) once its RSS passes this
   * many MiB: workerd never evicts a loaded app version. 0: never. @default 1024
   */
  maxWorkerdRssMb?: number;
}

export interface LocalTarget {
  /** http://host:port */
  url: string;
  /** http://host:port/client/v4: the `cloudflare` SDK's baseURL. */
  apiBaseUrl: string;
  /** Where a script answers: http://<script>.localhost:port/ */
  scriptUrl(name: string): string;
  /** Names of the scripts uploaded. */
  scripts(): string[];
  /** The absolute state folder. */
  stateDir: string;
  /** Milliseconds from the call to ready (stored scripts running). */
  startupMs: number;
  /** Restarts workerd now, as a pass over maxWorkerdRssMb does (requests wait, state is kept). */
  recycle(): Promise<void>;
  /** workerd restarts made for its RSS (or by recycle()). */
  recycles(): number;
  /** Runs the scripts' cron triggers due at `time` now, as the minute timer does at each minute's start. */
  runSchedules(time: number): Promise<{ script: string; cron: string }[]>;
  /** Stops serving, stops workerd and releases the state folder. */
  close(): Promise<void>;
}

export async function startLocalTarget(opts: LocalTargetOptions): Promise<LocalTarget> {
  const started = performance.now();
  const log = opts.log ?? ((line: string) => console.log(line));
  const stateDir = resolve(opts.state);
  mkdirSync(stateDir, { recursive: true });
  const lock = acquireLock(stateDir);
  const store = new StateStore(stateDir);
  const runtime = newRuntime(store, opts, log);
  let server: http.Server | undefined;
  try {
    const host = opts.host ?? "127.0.0.1";
    let url = "";
    let port = 0;
    const scriptUrl = (name: string) => `http://${name}.localhost:${port}/`;
    const account = new Account(store, runtime, log, (name) => log(`script ${name}: ${scriptUrl(name)}`));
    server = createServer({
      account,
      runtime,
      api: createApi(account),
      logCall: opts.quiet ? null : log,
      baseUrl: () => url,
    });
    // Listen and start workerd side by side: both take a while.
    [port] = await Promise.all([listen(server, opts.port ?? 8787, host), account.start()]);
    url = `http://${host.includes(":") ? `[${host}]` : host}:${port}`;
    const startupMs = Math.round(performance.now() - started);
    // After the caller has printed it is ready, so the first upload does not wait for the load.
    setTimeout(() => runtime.preload(), 50).unref();
    const crons = startCronTimer(account, log);
    const close = closer(server, account, runtime, lock, crons);
    return {
      url,
      apiBaseUrl: `${url}${API_PREFIX}`,
      scriptUrl,
      scripts: () => Object.keys(account.snapshot().scripts),
      stateDir,
      startupMs,
      recycle: () => runtime.recycle(),
      recycles: () => runtime.recycles,
      runSchedules: (time) => runDueSchedules(account, time, log),
      close,
    };
  } catch (e) {
    server?.closeAllConnections();
    server?.close();
    await runtime.close().catch(() => undefined);
    lock.release();
    throw e;
  }
}

/** The runtime of a target: workerd under Miniflare, restarted when it dies or passes its RSS bound. */
function newRuntime(store: StateStore, opts: LocalTargetOptions, log: (line: string) => void): Runtime {
  return new Runtime({
    durableObjectsDir: store.durableObjectsDir,
    log,
    callerHandlesSignals: opts.callerHandlesSignals ?? false,
    maxRssBytes: (opts.maxWorkerdRssMb ?? 1024) * 1024 * 1024,
    onRecycle: (rss) =>
      log(
        `workerd restarted at ${Math.round(rss / 1024 / 1024)} MiB RSS (over --max-workerd-rss), between requests, with its state kept`,
      ),
    onRestart: (why, likely) =>
      log(
        `workerd stopped${why ? ` (${why})` : ""} and was restarted with its state kept; likely app: ${likely ?? "unknown"}. ` +
          "The local target bounds no isolate's memory or CPU; Cloudflare ends an isolate past 128 MB.",
      ),
  });
}

/** Listens; resolves with the port (the one picked, for port 0). */
function listen(server: http.Server, port: number, host: string): Promise<number> {
  return new Promise<number>((ok, fail) => {
    server.once("error", fail);
    server.listen(port, host, () => {
      const addr = server.address();
      ok(typeof addr === "object" && addr ? addr.port : 0);
    });
  });
}

/** close(), once: stop serving, let an upload under way finish (and commit), stop workerd, release the folder. */
function closer(
  server: http.Server,
  account: Account,
  runtime: Runtime,
  lock: StateLock,
  crons: { stop(): void },
): () => Promise<void> {
  let closing: Promise<void> | undefined;
  return () =>
    (closing ??= (async () => {
      crons.stop();
      server.closeAllConnections();
      await new Promise<void>((ok) => server.close(() => ok()));
      await account.drain();
      await runtime.close();
      lock.release();
    })());
}
