// The main job: `npm start` deploys the quickstart (root Pulumi.yaml) and the
// live-chat Workers project (examples/live-chat: wrangler.jsonc, assets, a
// Durable Object) to the local target and prints each app's URL; `npm run stop` stops the target;
// `npm run destroy` destroys the stack. Everything lives under .dynamic-workers/.
import { spawn, spawnSync } from "node:child_process";
import { closeSync, existsSync, mkdirSync, openSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const work = join(root, ".dynamic-workers");
const pidFile = join(work, "local.pid");
const logFile = join(work, "local.log");
const port = Number(process.env.DYNAMIC_WORKERS_PORT ?? 8787);
const apiBaseUrl = `http://127.0.0.1:${port}/client/v4`;
const stack = process.env.PULUMI_STACK ?? "dev";

const say = (line) => console.log(`[quickstart] ${line}`);

function pulumiEnv() {
  return {
    ...process.env,
    PATH: `${join(root, ".tools", "pulumi", "bin")}:${join(root, "node_modules", ".bin")}:${process.env.PATH}`,
    PULUMI_BACKEND_URL: process.env.PULUMI_BACKEND_URL ?? `file://${join(work, "pulumi")}`,
    // A local stack's secrets need a passphrase; override it for anything you keep.
    PULUMI_CONFIG_PASSPHRASE: process.env.PULUMI_CONFIG_PASSPHRASE ?? "local-quickstart",
    PULUMI_SKIP_UPDATE_CHECK: "true",
    PULUMI_DISABLE_AUTOMATIC_PLUGIN_ACQUISITION: "true",
    PULUMI_HOME: process.env.PULUMI_HOME ?? join(work, "pulumi-home"),
  };
}

function run(cmd, args, opts = {}) {
  const r = spawnSync(cmd, args, { cwd: root, stdio: "inherit", env: pulumiEnv(), ...opts });
  if (r.status !== 0) {
    console.error(`[quickstart] '${cmd} ${args.join(" ")}' failed (exit ${r.status ?? r.signal})`);
    process.exit(r.status ?? 1);
  }
  return r;
}

async function targetUp() {
  try {
    const res = await fetch(`${apiBaseUrl}/user/tokens/verify`, {
      headers: { authorization: "Bearer local" },
      signal: AbortSignal.timeout(1000),
    });
    return res.ok;
  } catch {
    return false;
  }
}

async function startTarget() {
  if (await targetUp()) {
    say(`local target already answers at ${apiBaseUrl}`);
    return;
  }
  mkdirSync(work, { recursive: true });
  const out = openSync(logFile, "a");
  const child = spawn(
    process.execPath,
    [join(root, "bin", "dynamic-workers.mjs"), "local", "--port", String(port), "--state", join(work, "local")],
    { cwd: root, detached: true, stdio: ["ignore", out, out] },
  );
  closeSync(out);
  child.unref();
  writeFileSync(pidFile, String(child.pid));
  const deadline = Date.now() + 30_000;
  while (Date.now() < deadline) {
    if (await targetUp()) {
      say(`local target started (pid ${child.pid}) at ${apiBaseUrl}; log: .dynamic-workers/local.log`);
      return;
    }
    if (child.exitCode !== null) break;
    await new Promise((r) => setTimeout(r, 200));
  }
  console.error(
    `[quickstart] the local target did not start; see ${logFile}:\n${existsSync(logFile) ? readFileSync(logFile, "utf8").slice(-2000) : ""}`,
  );
  process.exit(1);
}

function stopTarget() {
  if (!existsSync(pidFile)) {
    say("no local target started by the quickstart is running");
    return;
  }
  const pid = Number(readFileSync(pidFile, "utf8"));
  try {
    process.kill(pid, "SIGTERM");
    say(`stopped the local target (pid ${pid})`);
  } catch {
    say(`the local target (pid ${pid}) was not running`);
  }
  rmSync(pidFile, { force: true });
}

const liveChat = join(root, "examples", "live-chat");

function selectStack(cwd = root) {
  mkdirSync(join(work, "pulumi"), { recursive: true });
  run("pulumi", ["stack", "select", stack, "--create", "--non-interactive"], { cwd });
  run("pulumi", ["config", "set", "apiBaseUrl", apiBaseUrl, "--stack", stack, "--non-interactive"], { cwd });
}

function stackOutputs(cwd) {
  const r = spawnSync("pulumi", ["stack", "output", "--json", "--stack", stack], {
    cwd,
    env: pulumiEnv(),
    encoding: "utf8",
  });
  return JSON.parse(r.stdout || "{}");
}

async function start() {
  say("toolchain: Node 22 and the Pulumi CLI (the first run builds the CLI from Go modules: minutes)");
  run("bash", [join(root, "scripts", "bootstrap.sh")]);
  if (!existsSync(join(root, "dist", "host.js")) || !existsSync(join(root, "dist", "provider", "index.js")))
    run("npm", ["run", "build"]);
  await startTarget();
  selectStack();
  run("pulumi", ["up", "--yes", "--stack", stack, "--non-interactive", "--diff"]);
  // The packaged form: a Workers project folder, its own platform (script "live-chat") on the same target.
  say("live-chat: examples/live-chat, a Workers project (wrangler.jsonc, public/ assets, a Durable Object)");
  selectStack(liveChat);
  run("pulumi", ["up", "--yes", "--stack", stack, "--non-interactive"], { cwd: liveChat });
  const outputs = stackOutputs(root);
  const chatUrl = stackOutputs(liveChat).url;
  const urls = { ...(outputs.urls ?? {}), ...(chatUrl ? { "live-chat": chatUrl } : {}) };
  console.log("\nYour apps:");
  for (const [app, url] of Object.entries(urls)) {
    // curl resolves *.localhost to this machine by itself.
    console.log(`  ${app.padEnd(9)} ${url}`);
  }
  console.log("\nTry:");
  if (urls.hello) console.log(`  curl ${urls.hello}`);
  if (urls.todo) console.log(`  curl -X POST ${urls.todo}todos -d '{"text":"ship it"}'\n  curl ${urls.todo}todos`);
  if (urls.chat)
    console.log(
      `  curl -X POST ${urls.chat}rooms/lobby/messages -d '{"user":"me","text":"hi"}'\n  curl ${urls.chat}rooms/lobby/messages`,
    );
  if (urls["live-chat"]) console.log(`  open ${urls["live-chat"]} in a browser`);
  console.log(`\nStop the local target: npm run stop    Remove the apps: npm run destroy`);
}

const command = process.argv[2] ?? "start";
if (command === "start") await start();
else if (command === "stop") stopTarget();
else if (command === "destroy") {
  run("bash", [join(root, "scripts", "bootstrap.sh")]);
  await startTarget();
  if (spawnSync("pulumi", ["stack", "select", stack], { cwd: liveChat, env: pulumiEnv() }).status === 0)
    run("pulumi", ["destroy", "--yes", "--stack", stack, "--non-interactive"], { cwd: liveChat });
  run("pulumi", ["destroy", "--yes", "--stack", stack, "--non-interactive"]);
} else {
  console.error(`usage: node scripts/quickstart.mjs start|stop|destroy`);
  process.exit(2);
}
