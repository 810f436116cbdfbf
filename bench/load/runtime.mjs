// What bench:load starts and must stop: the Miniflare (workerd), autocannon
// runs and timers, all registered in `state` so shutdown() ends every one;
// and workerd's stdout and stderr, counted instead of printed.
import autocannon from "autocannon";

export const state = { mf: null, instances: new Set(), timers: new Set(), shuttingDown: false };

/**
 * workerd's stdout and stderr. Miniflare would print every line through this
 * process (the chatty app's console lines, thousands a second), which costs
 * far more than the host's log capture being measured: stdout lines are
 * counted and dropped, stderr lines counted and grouped by kind.
 */
const stdio = { stdoutLines: 0, stderrLines: 0, stderrKinds: new Map(), stderrRest: "" };
export function handleRuntimeStdio(stdout, stderr) {
  stdout.on("data", (chunk) => {
    for (let i = chunk.indexOf(10); i !== -1; i = chunk.indexOf(10, i + 1)) stdio.stdoutLines++;
  });
  // stderr is rare: kept by kind (stack addresses and ids stripped), with a count each.
  stderr.on("data", (chunk) => {
    const lines = (stdio.stderrRest + chunk.toString()).split("\n");
    stdio.stderrRest = lines.pop() ?? "";
    for (const line of lines) {
      if (!line.trim()) continue;
      stdio.stderrLines++;
      if (line.startsWith("stack:")) continue;
      const kind = line.replace(/\b[0-9a-f]{16,}\b/g, "…").slice(0, 600);
      if (stdio.stderrKinds.size < 20 || stdio.stderrKinds.has(kind))
        stdio.stderrKinds.set(kind, (stdio.stderrKinds.get(kind) ?? 0) + 1);
    }
  });
}
export function stdioSummary() {
  const s = `workerd output: ${stdio.stdoutLines} stdout lines (apps' console output, dropped), ${stdio.stderrLines} stderr lines`;
  if (!stdio.stderrKinds.size) return s;
  return `${s}, by kind (stack lines not shown):\n${[...stdio.stderrKinds].map(([k, n]) => `   ${n}× ${k}`).join("\n")}`;
}

export function sleep(ms) {
  return new Promise((resolve) => {
    const t = setTimeout(
      () => {
        state.timers.delete(t);
        resolve();
      },
      Math.max(0, ms),
    );
    state.timers.add(t);
  });
}

/** Stops every load run and timer, then workerd. Safe to call more than once. */
export async function shutdown() {
  if (state.shuttingDown) return;
  state.shuttingDown = true;
  for (const i of state.instances) i.stop();
  for (const t of state.timers) clearTimeout(t);
  const mf = state.mf;
  state.mf = null;
  if (mf) await mf.dispose().catch((e) => console.error("dispose failed:", e));
}

/** An autocannon run, registered so shutdown() can stop it. */
export function cannon(opts, onResponse) {
  const instance = autocannon({ sampleInt: 100, ...opts });
  state.instances.add(instance);
  if (onResponse) instance.on("response", onResponse);
  const reqErrors = [];
  instance.on("reqError", (e) => {
    if (reqErrors.length < 5) reqErrors.push(e?.message ?? String(e));
  });
  const done = instance.then(
    (r) => {
      state.instances.delete(instance);
      return { ...r, reqErrorSamples: reqErrors };
    },
    (e) => {
      state.instances.delete(instance);
      throw e;
    },
  );
  return { instance, done };
}

export async function pool(items, concurrency, fn) {
  const out = new Array(items.length);
  let next = 0;
  await Promise.all(
    Array.from({ length: Math.min(concurrency, items.length) }, async () => {
      while (next < items.length) {
        const i = next++;
        out[i] = await fn(items[i], i);
      }
    }),
  );
  return out;
}

export async function getText(url) {
  const res = await fetch(url);
  return { status: res.status, body: await res.text() };
}
