// npm run bench:preview — the engine-level cost of a fleet of apps (issue 6),
// with the real pulumi CLI, against the engine's own floor, in one run.
//
// For each N in BENCH_N (default "50,200"):
//   ours   the quickstart (root Pulumi.yaml) with extraApps = N: N + 3 App
//          resources, a Platform and its HostWorker, against a local target
//          started for this N (127.0.0.1, temp state folder); run from a
//          snapshot of the built package (package.json, bin/, dist/, the
//          program) under .dynamic-workers/, so a rebuild of dist/ during the
//          run (another session's `npm run build`) changes nothing measured;
//   floor  a temp Pulumi project of N + 3 trivial dynamic resources whose
//          provider's check/diff/create/update return at once (under the
//          repository's gitignored .dynamic-workers/, so @pulumi/pulumi
//          resolves from this repository's node_modules).
//   floor with a dependency  the same, but every resource takes an output of
//          one more (as every App takes its platform's URL and token): shows
//          what the engine itself charges for that dependency (a resource
//          registers only once what it depends on has), apart from our code.
//          Printed beside the target; the target is against the plain floor.
// Both stacks live in their own file backend in a temp folder. Sequence: `up`
// creates everything (timed, reported apart); then, BENCH_REPEATS times (3),
// one app changes (ours: the todo app's source in a copied appsDir, used by
// no other app; floor: one resource's input) and `pulumi preview` and
// `pulumi up --yes` are timed, each checked to report exactly one update;
// figures are medians over the repeats.
// Prints per N: seconds (wall, and CPU of all the command's processes) for ours and the floor, their ratio (target at the
// largest N: ours ≤ 1.3× the floor, and growing linearly with N), and state
// bytes per app (`pulumi stack export` size / N, and per App resource with
// and without its serialized provider `__provider`).
// Every pulumi command is bounded (BENCH_TIMEOUT_S, 900 s); every process and
// temp folder is removed at the end, also on error or Ctrl-C. A missed target
// is reported, never fatal; only errors exit non-zero.
import { cpSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { LocalTarget, ROOT, Stack, freePort, hasPulumi, killAll, snapshotPackage, summary } from "./pulumi-stack.mjs";

const NS = (process.env.BENCH_N ?? "50,200")
  .split(",")
  .map((s) => Number(s.trim()))
  .filter((n) => Number.isInteger(n) && n > 0);
const REPEATS = Number(process.env.BENCH_REPEATS ?? 3);
const TIMEOUT_MS = Number(process.env.BENCH_TIMEOUT_S ?? 900) * 1000;
const TARGETS = { ratio: 1.3 };
const NAMED_APPS = 3; // hello, todo, chat: the quickstart's own apps beside the extras

const FLOOR_PROGRAM = `// The engine's floor: N trivial dynamic resources whose provider does nothing.
import * as pulumi from "@pulumi/pulumi";

const config = new pulumi.Config();
const count = config.requireNumber("count");
const rev = config.get("rev") ?? "0";

const provider = {
  async check(_olds, news) { return { inputs: news }; },
  async diff(_id, olds, news) { return { changes: olds.value !== news.value }; },
  async create(inputs) { return { id: inputs.name, outs: inputs }; },
  async update(_id, _olds, news) { return { outs: news }; },
  async delete() {},
};

class Noop extends pulumi.dynamic.Resource {
  constructor(name, props, opts) {
    super(provider, name, props, opts, "bench", "Noop");
  }
}

// With "dependency", every Noop takes an output of one more Noop, as every App takes its platform's.
const platform = config.getBoolean("dependency") ? new Noop("platform", { name: "platform", value: "0" }) : undefined;
for (let i = 0; i < count; i++) {
  new Noop(\`noop-\${i}\`, { name: \`noop-\${i}\`, value: i === 0 ? \`rev \${rev}\` : "0", ...(platform ? { platform: platform.value } : {}) });
}
`;

const FLOOR_PROJECT = `name: dynamic-workers-bench-floor
runtime:
  name: nodejs
  options:
    typescript: false
main: index.js
`;

const temps = [];
const cleanupTemps = () => {
  for (const t of temps.splice(0)) rmSync(t, { recursive: true, force: true });
};
for (const sig of ["SIGINT", "SIGTERM"]) {
  process.on(sig, () => {
    killAll();
    cleanupTemps();
    process.exit(130);
  });
}

const s = (ms) => (ms / 1000).toFixed(2);
const median = (xs) => {
  const v = [...xs].sort((a, b) => a - b);
  const mid = v.length >> 1;
  return v.length % 2 ? v[mid] : (v[mid - 1] + v[mid]) / 2;
};

/** CPU seconds of every process of the command (see childrenCpuMs), which load on a shared machine inflates far less than wall time. */
const cpuLine = (c) => `cpu: ours ${s(c.ours)} s, floor ${s(c.floor)} s, ratio ${(c.ours / c.floor).toFixed(2)}×`;

function expectOneUpdate(what, stdout) {
  const c = summary(stdout);
  if (c.update !== 1 || c.create || c.delete || c.replace) {
    throw new Error(`${what}: expected exactly one update, got ${JSON.stringify(c)}:\n${stdout.slice(-3000)}`);
  }
  return c;
}

/** Bytes of the App (or Noop) resources in an export, with and without `__provider`. */
function resourceBytes(state, typeSuffix) {
  const rs = state.deployment.resources.filter((r) => r.type.endsWith(typeSuffix));
  let whole = 0;
  let lean = 0;
  let provider = 0;
  for (const r of rs) {
    whole += Buffer.byteLength(JSON.stringify(r));
    const copy = structuredClone(r);
    for (const bag of [copy.inputs, copy.outputs]) {
      if (bag && "__provider" in bag) {
        provider += Buffer.byteLength(JSON.stringify(bag.__provider));
        delete bag.__provider;
      }
    }
    lean += Buffer.byteLength(JSON.stringify(copy));
  }
  const n = rs.length || 1;
  return { count: rs.length, whole: whole / n, lean: lean / n, provider: provider / n };
}

/** The projects, under the repository's gitignored .dynamic-workers/: ours (a snapshot of the built package) and the floor. */
function projects() {
  mkdirSync(join(ROOT, ".dynamic-workers"), { recursive: true });
  const dir = mkdtempSync(join(ROOT, ".dynamic-workers", "bench-preview-"));
  temps.push(dir);
  const ours = snapshotPackage(join(dir, "ours"));
  const floor = join(dir, "floor");
  mkdirSync(floor);
  writeFileSync(join(floor, "Pulumi.yaml"), FLOOR_PROJECT);
  writeFileSync(join(floor, "index.js"), FLOOR_PROGRAM);
  return { ours, floor };
}

/** A copy of the quickstart's apps, whose todo app is the one each repeat changes. */
function copyApps(tmp) {
  const appsDir = join(tmp, "ours", "apps");
  cpSync(join(ROOT, "examples", "quickstart", "apps"), appsDir, { recursive: true });
  const todoFile = join(appsDir, "todo", "index.ts");
  const todoSource = readFileSync(todoFile, "utf8");
  if (!todoSource.includes(`"no such todo"`))
    throw new Error(`${todoFile}: the string this benchmark changes is gone; update bench/preview.bench.mjs`);
  return { appsDir, todoFile, todoSource };
}

/** The three stacks, initialised and configured for this N, in the order they run. */
async function initStacks(n, project, tmp, target, appsDir) {
  const ours = new Stack({ projectDir: project.ours, dir: join(tmp, "ours"), name: "bench", timeoutMs: TIMEOUT_MS });
  const floor = new Stack({ projectDir: project.floor, dir: join(tmp, "floor"), name: "bench", timeoutMs: TIMEOUT_MS });
  const floorDep = new Stack({
    projectDir: project.floor,
    dir: join(tmp, "floor-dep"),
    name: "bench",
    timeoutMs: TIMEOUT_MS,
  });
  await ours.init({ apiBaseUrl: target.apiBaseUrl, appsDir, extraApps: n });
  await floor.init({ count: n + NAMED_APPS, rev: 0 });
  await floorDep.init({ count: n + NAMED_APPS, rev: 0, dependency: true });
  return [
    ["ours", ours],
    ["floor", floor],
    ["floorDep", floorDep],
  ];
}

/** The first `up` of each stack, which creates everything: its ms by stack name. */
async function firstUp(n, stacks) {
  const created = {};
  for (const [name, stack] of stacks) {
    const r = await stack.pulumi(["up", "--yes"]);
    const c = summary(r.stdout);
    if ((c.create ?? 0) < n + NAMED_APPS)
      throw new Error(`${name}: the first up created ${JSON.stringify(c)}, expected ${n + NAMED_APPS} apps or more`);
    created[name] = r.ms;
  }
  return created;
}

/** REPEATS times: one app changes on each stack, then preview and up are timed (wall and CPU), each one update. */
async function timeChanges(n, stacks, { todoFile, todoSource }) {
  const { floor, floorDep } = Object.fromEntries(stacks);
  const times = Object.fromEntries(stacks.map(([name]) => [name, { preview: [], up: [] }]));
  const cpu = Object.fromEntries(stacks.map(([name]) => [name, { preview: [], up: [] }]));
  for (let rep = 1; rep <= REPEATS; rep++) {
    writeFileSync(todoFile, todoSource.replace(`"no such todo"`, `"no such todo (rev ${rep})"`));
    await floor.setConfig({ rev: rep });
    await floorDep.setConfig({ rev: rep });
    for (const op of ["preview", "up"]) {
      for (const [name, stack] of stacks) {
        const r = await stack.pulumi(op === "up" ? ["up", "--yes"] : ["preview"]);
        expectOneUpdate(`${name} ${op} (N=${n})`, r.stdout);
        times[name][op].push(r.ms);
        cpu[name][op].push(r.cpuMs);
      }
    }
  }
  return { times, cpu };
}

/** This N's figures: medians of the repeats, and the state sizes of ours and the floor. */
async function figuresN(n, stacks, created, { times, cpu }) {
  const { ours, floor } = Object.fromEntries(stacks);
  const oursState = await ours.exportState();
  const floorState = await floor.exportState();
  return {
    n,
    created,
    preview: {
      ours: median(times.ours.preview),
      floor: median(times.floor.preview),
      floorDep: median(times.floorDep.preview),
    },
    up: { ours: median(times.ours.up), floor: median(times.floor.up), floorDep: median(times.floorDep.up) },
    cpu: {
      preview: { ours: median(cpu.ours.preview), floor: median(cpu.floor.preview) },
      up: { ours: median(cpu.ours.up), floor: median(cpu.floor.up) },
    },
    state: {
      ours: { perN: oursState.bytes / n, total: oursState.bytes, res: resourceBytes(oursState.state, ":App") },
      floor: { perN: floorState.bytes / n, total: floorState.bytes, res: resourceBytes(floorState.state, ":Noop") },
    },
  };
}

async function benchN(n, project) {
  const tmp = mkdtempSync(join(tmpdir(), "dw-bench-preview-"));
  temps.push(tmp);
  const target = new LocalTarget(await freePort(), join(tmp, "target"), project.ours);
  try {
    await target.start();
    const todo = copyApps(tmp);
    const stacks = await initStacks(n, project, tmp, target, todo.appsDir);
    const created = await firstUp(n, stacks);
    const timed = await timeChanges(n, stacks, todo);
    return await figuresN(n, stacks, created, timed);
  } finally {
    await target.stop();
    killAll();
    rmSync(tmp, { recursive: true, force: true });
  }
}

/** One N's figures: create, preview and up against the floor, the dependency floor, and state bytes. */
function reportN(n, r, ms) {
  const ratioP = r.preview.ours / r.preview.floor;
  const ratioU = r.up.ours / r.up.floor;
  console.log("");
  console.log(`N = ${n} (${n + NAMED_APPS} apps; this N took ${s(ms)} s)`);
  console.log(
    `  create (first up)   ours ${s(r.created.ours).padStart(7)} s   floor ${s(r.created.floor).padStart(7)} s   ratio ${(r.created.ours / r.created.floor).toFixed(2)}×`,
  );
  console.log(
    `  preview, 1 changed  ours ${s(r.preview.ours).padStart(7)} s   floor ${s(r.preview.floor).padStart(7)} s   ratio ${ratioP.toFixed(2)}×   ${cpuLine(r.cpu.preview)}`,
  );
  console.log(
    `  up, 1 changed       ours ${s(r.up.ours).padStart(7)} s   floor ${s(r.up.floor).padStart(7)} s   ratio ${ratioU.toFixed(2)}×   ${cpuLine(r.cpu.up)}`,
  );
  for (const op of ["preview", "up"]) {
    const d = r[op];
    console.log(
      `  ${op.padEnd(7)} floor whose resources depend on one more (as apps on their platform): ${s(d.floorDep)} s, ` +
        `${(d.floorDep / d.floor).toFixed(2)}× the floor; ours / that ${(d.ours / d.floorDep).toFixed(2)}×`,
    );
  }
  const o = r.state.ours;
  const f = r.state.floor;
  console.log(
    `  state: export / N   ours ${o.perN.toFixed(0)} B (${o.total} B)   floor ${f.perN.toFixed(0)} B (${f.total} B)`,
  );
  console.log(
    `  state per resource  ours App ${o.res.whole.toFixed(0)} B, of which __provider ${o.res.provider.toFixed(0)} B, ` +
      `without it ${o.res.lean.toFixed(0)} B   floor ${f.res.whole.toFixed(0)} B (__provider ${f.res.provider.toFixed(0)} B)`,
  );
}

async function main() {
  if (!hasPulumi) throw new Error("no Pulumi CLI under .tools/pulumi/bin: run `npm run bootstrap` first");
  if (NS.length === 0) throw new Error(`BENCH_N='${process.env.BENCH_N}' holds no positive integer`);
  console.log(
    `bench:preview — N = ${NS.join(", ")} (+${NAMED_APPS} quickstart apps on both sides), ${REPEATS} repeat(s), node ${process.version}`,
  );
  const project = projects();
  const results = [];
  for (const n of NS) {
    const t0 = performance.now();
    const r = await benchN(n, project);
    results.push(r);
    reportN(n, r, performance.now() - t0);
  }
  console.log("");
  const last = results.at(-1);
  for (const op of ["preview", "up"]) {
    const ratio = last[op].ours / last[op].floor;
    const cpuRatio = last.cpu[op].ours / last.cpu[op].floor;
    console.log(
      `target: ${op} at N = ${last.n}: ours ≤ ${TARGETS.ratio}× the floor: ${ratio <= TARGETS.ratio ? "PASS" : "MISS"} (${ratio.toFixed(2)}× wall; ${cpuRatio.toFixed(2)}× cpu)`,
    );
  }
  if (results.length >= 2) {
    const [a, b] = [results[0], last];
    for (const op of ["preview", "up"]) {
      // Linear growth: the cost of each app past N = a, and what ours adds over the floor at each N.
      const slope = (v) => (b[op][v] - a[op][v]) / (b.n - a.n);
      const extra = (r) => s(r[op].ours - r[op].floor);
      console.log(
        `growth: ${op}, ms per extra app from N = ${a.n} to ${b.n}: ours ${slope("ours").toFixed(1)}, floor ${slope("floor").toFixed(1)}; ` +
          `ours − floor: ${extra(a)} s at N = ${a.n}, ${extra(b)} s at N = ${b.n}`,
      );
    }
  }
}

try {
  await main();
} catch (e) {
  console.error(e instanceof Error ? (e.stack ?? e.message) : e);
  process.exitCode = 1;
} finally {
  killAll();
  cleanupTemps();
}
