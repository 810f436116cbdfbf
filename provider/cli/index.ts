/**
 * cli/: the `dynamic-workers` command and its subcommands (local-command.ts, preview-comment-command.ts).
 *
 * The `dynamic-workers` command: a map of subcommands, each with a one-line
 * summary and a `run(argv)` resolving to the exit code. Add a command by
 * adding an entry to COMMANDS.
 */
import { LOCAL_USAGE, runLocal, UsageError } from "./local-command.js";
import { PREVIEW_COMMENT_USAGE, runPreviewComment } from "./preview-comment-command.js";
import { PREVIEW_USAGE, runPreview } from "./preview-command.js";
import {
  APP_USAGE,
  APPS_USAGE,
  ERRORS_USAGE,
  LOGS_USAGE,
  runApp,
  runApps,
  runErrors,
  runLogs,
} from "./apps-command.js";
import {
  ROLLBACK_USAGE,
  ROLLOUT_USAGE,
  VERSIONS_USAGE,
  runRollback,
  runRollout,
  runVersions,
} from "./versions-command.js";
import { TRIGGER_USAGE, runTrigger } from "./trigger-command.js";

export interface Command {
  /** One line for `dynamic-workers --help`. */
  summary: string;
  /** The command's own --help text. */
  usage: string;
  run(argv: string[]): Promise<number>;
}

export const COMMANDS: Record<string, Command> = {
  local: {
    summary: "serve the Cloudflare API subset locally and run the uploaded scripts on workerd",
    usage: LOCAL_USAGE,
    run: runLocal,
  },
  apps: {
    summary: "list every app: version, objects, stored bytes and requests this minute against quota, errors",
    usage: APPS_USAGE,
    run: runApps,
  },
  app: {
    summary: "show one app: settings, quota, version, objects per class and usage",
    usage: APP_USAGE,
    run: runApp,
  },
  versions: {
    summary: "list an app's kept versions and the share of objects and requests each serves",
    usage: VERSIONS_USAGE,
    run: runVersions,
  },
  rollback: {
    summary: "instantly serve an earlier version of an app (or cancel its rollout)",
    usage: ROLLBACK_USAGE,
    run: runRollback,
  },
  rollout: {
    summary: "instantly set the percent of an app's objects and requests its candidate version serves",
    usage: ROLLOUT_USAGE,
    run: runRollout,
  },
  logs: {
    summary: "show an app's recent console lines and exceptions, or follow them live (apps with logs: true)",
    usage: LOGS_USAGE,
    run: runLogs,
  },
  errors: {
    summary: "show the errors the host recorded for an app, with request ids",
    usage: ERRORS_USAGE,
    run: runErrors,
  },
  preview: {
    summary: "deploy, delete or list a pull request's preview slots: changed apps with their own data and URL",
    usage: PREVIEW_USAGE,
    run: runPreview,
  },
  trigger: {
    summary: "run an app's scheduled handler now, as its cron trigger would",
    usage: TRIGGER_USAGE,
    run: runTrigger,
  },
  "preview-comment": {
    summary: "turn 'pulumi preview --json' into a pull-request comment (Markdown) with source diffs",
    usage: PREVIEW_COMMENT_USAGE,
    run: runPreviewComment,
  },
};

export function usage(): string {
  const width = Math.max(...Object.keys(COMMANDS).map((n) => n.length));
  return [
    "Usage: dynamic-workers <command> [options]",
    "",
    "Commands:",
    ...Object.entries(COMMANDS).map(([name, c]) => `  ${name.padEnd(width)}  ${c.summary}`),
    "",
    "Run 'dynamic-workers <command> --help' for a command's options.",
  ].join("\n");
}

export async function main(argv: string[] = process.argv.slice(2)): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined || name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic && COMMANDS[topic]) {
      console.log(COMMANDS[topic].usage);
      return 0;
    }
    console.log(usage());
    return name === undefined ? 2 : 0;
  }
  const command = COMMANDS[name];
  if (!command) {
    console.error(`dynamic-workers: unknown command '${name}'\n\n${usage()}`);
    return 2;
  }
  try {
    return await command.run(rest);
  } catch (e) {
    if (e instanceof UsageError) {
      console.error(`dynamic-workers ${name}: ${e.message}\nRun 'dynamic-workers ${name} --help' for its options.`);
      return 2;
    }
    throw e;
  }
}
