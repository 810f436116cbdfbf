/**
 * `dynamic-workers local`: flags, the start banner, and a clean stop on
 * Ctrl-C (SIGINT) or SIGTERM.
 */
import { parseArgs } from "node:util";
import { startLocalTarget, type LocalTarget } from "../local/index.js";

export const LOCAL_USAGE = `Usage: dynamic-workers local [--port 8787] [--state .dynamic-workers/local] [--host 127.0.0.1] [--max-workerd-rss 1024] [--quiet]

Serves the Cloudflare API subset this project calls at http://<host>:<port>/client/v4
and runs the uploaded scripts on workerd, keeping them in the state folder.

Options:
  --port <n>      port to listen on, 0 for any free one (default 8787)
  --state <dir>   state folder (default .dynamic-workers/local)
  --host <addr>   address to listen on (default 127.0.0.1)
  --max-workerd-rss <MiB>
                  restart workerd between requests, state kept, once its RSS
                  passes this (workerd never evicts loaded app versions); 0: never (default 1024)
  --quiet         no line per API call
  -h, --help      this help`;

/** A refusal of the command line: printed with the usage hint, exit code 2. */
export class UsageError extends Error {
  override name = "UsageError";
}

export interface LocalFlags {
  port: number;
  state: string;
  host: string;
  quiet: boolean;
  maxWorkerdRssMb: number;
  help: boolean;
}

const LOCAL_OPTIONS = {
  port: { type: "string" },
  state: { type: "string" },
  host: { type: "string" },
  quiet: { type: "boolean" },
  "max-workerd-rss": { type: "string" },
  help: { type: "boolean", short: "h" },
} as const;

export function parseLocalFlags(argv: string[]): LocalFlags {
  let values: ReturnType<typeof parseArgs<{ options: typeof LOCAL_OPTIONS }>>["values"];
  try {
    ({ values } = parseArgs({ args: argv, strict: true, allowPositionals: false, options: LOCAL_OPTIONS }));
  } catch (e) {
    throw new UsageError((e as Error).message);
  }
  const port = values.port === undefined ? 8787 : Number(values.port);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new UsageError(`--port must be an integer from 0 to 65535, got '${values.port}'`);
  }
  const rss = values["max-workerd-rss"] === undefined ? 1024 : Number(values["max-workerd-rss"]);
  if (!Number.isInteger(rss) || rss < 0) {
    throw new UsageError(
      `--max-workerd-rss must be a whole number of MiB (0: never), got '${values["max-workerd-rss"]}'`,
    );
  }
  if (values.state !== undefined && values.state.trim() === "") throw new UsageError("--state must name a folder");
  if (values.host !== undefined && values.host.trim() === "") throw new UsageError("--host must name an address");
  return {
    port,
    state: values.state ?? ".dynamic-workers/local",
    host: values.host ?? "127.0.0.1",
    quiet: values.quiet ?? false,
    maxWorkerdRssMb: rss,
    help: values.help ?? false,
  };
}

/** Runs until SIGINT/SIGTERM; resolves with the exit code. */
export async function runLocal(argv: string[]): Promise<number> {
  const flags = parseLocalFlags(argv);
  if (flags.help) {
    console.log(LOCAL_USAGE);
    return 0;
  }
  // Handlers go in before anything starts: a signal during start-up stops it once ready.
  let signalled: NodeJS.Signals | null = null;
  let onSignal: (signal: NodeJS.Signals) => void = (signal) => {
    signalled = signal;
  };
  const handler = (signal: NodeJS.Signals) => onSignal(signal);
  process.on("SIGINT", handler);
  process.on("SIGTERM", handler);
  try {
    return await serve(flags, (stop) => {
      onSignal = stop;
      if (signalled) stop(signalled);
    });
  } finally {
    process.off("SIGINT", handler);
    process.off("SIGTERM", handler);
  }
}

async function serve(flags: LocalFlags, onReady: (stop: (signal: NodeJS.Signals) => void) => void): Promise<number> {
  const log = (line: string) => console.log(line);
  let target: LocalTarget;
  try {
    target = await startLocalTarget({
      port: flags.port,
      host: flags.host,
      state: flags.state,
      quiet: flags.quiet,
      maxWorkerdRssMb: flags.maxWorkerdRssMb,
      log,
      callerHandlesSignals: true,
    });
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (err.code === "EADDRINUSE") {
      console.error(
        `dynamic-workers local: port ${flags.port} on ${flags.host} is in use; pick another with --port (0: any free port)`,
      );
    } else {
      console.error(`dynamic-workers local: ${err.message}`);
    }
    return 1;
  }
  const scripts = target.scripts();
  console.log(`dynamic-workers local: ready in ${target.startupMs} ms`);
  console.log(`  API    ${target.apiBaseUrl}  (any non-empty API token; account id of your choice)`);
  console.log(`  state  ${target.stateDir}`);
  for (const name of scripts)
    console.log(`  script ${name}: ${target.scriptUrl(name)}${scripts.length === 1 ? `  (also ${target.url}/)` : ""}`);
  if (scripts.length === 0) console.log("  no script yet: upload one through the API");
  console.log("Ctrl-C stops it.");

  const running = target;
  return new Promise<number>((done) => {
    let stopping = false;
    onReady((signal) => {
      if (stopping) {
        // A second Ctrl-C: the user does not want to wait.
        console.error(`dynamic-workers local: ${signal} again, exiting without waiting`);
        process.exit(130);
      }
      stopping = true;
      console.log(`dynamic-workers local: ${signal}, stopping…`);
      running.close().then(
        () => {
          console.log(`dynamic-workers local: stopped; state kept in ${running.stateDir}`);
          done(0);
        },
        (e: Error) => {
          console.error(`dynamic-workers local: stopping failed: ${e.message}`);
          done(1);
        },
      );
    });
  });
}
