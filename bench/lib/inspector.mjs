// V8 heap figures of one workerd Worker through workerd's inspector (the
// DevTools protocol's Runtime.getHeapUsage), so a benchmark can read the
// host isolate's heap without code in the Worker. Start Miniflare with
// `inspectorPort`; workerd names each Worker's target "core:user:<name>".

/** Connects to a Worker's inspector target and samples its heap every `everyMs`. */
export async function heapSampler(port, workerName, everyMs = 5) {
  const targets = await (await fetch(`http://127.0.0.1:${port}/json/list`)).json();
  const target = targets.find((t) => t.id === `core:user:${workerName}`);
  if (!target) throw new Error(`no inspector target for Worker '${workerName}' (have ${targets.map((t) => t.id)})`);
  const ws = new WebSocket(target.webSocketDebuggerUrl);
  await new Promise((resolve, reject) => {
    ws.onopen = resolve;
    ws.onerror = reject;
  });
  let id = 0;
  const pending = new Map();
  ws.onmessage = (m) => {
    const d = JSON.parse(m.data);
    pending.get(d.id)?.(d.result);
    pending.delete(d.id);
  };
  const usage = () =>
    new Promise((resolve) => {
      const i = ++id;
      pending.set(i, resolve);
      ws.send(JSON.stringify({ id: i, method: "Runtime.getHeapUsage", params: {} }));
    });
  let peak = { used: 0, total: 0 };
  let running = true;
  const loop = (async () => {
    while (running) {
      const u = await usage();
      // ArrayBuffer contents live outside the JS heap; count them with it.
      const used = u.usedSize + (u.backingStorageSize ?? 0);
      const total = u.totalSize + (u.backingStorageSize ?? 0);
      peak = { used: Math.max(peak.used, used), total: Math.max(peak.total, total) };
      await new Promise((r) => setTimeout(r, everyMs));
    }
  })();
  return {
    /** Starts a new peak from the current figures. */
    reset: async () => {
      const u = await usage();
      peak = { used: u.usedSize + (u.backingStorageSize ?? 0), total: u.totalSize + (u.backingStorageSize ?? 0) };
      return peak;
    },
    peak: () => peak,
    close: async () => {
      running = false;
      await loop;
      ws.close();
    },
  };
}
