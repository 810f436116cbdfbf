/**
 * The compatibility suite's two sides. Each app of test/compat/apps.ts is a
 * Worker written the way Cloudflare's docs write them, with ordinary
 * Durable Object namespace bindings; it runs unchanged
 * - on plain workerd (Miniflare, the bindings as wrangler would declare
 *   them): the baseline, proving the app and its assertions are right;
 * - through our host, deployed with the same bindings as `durableObjects`.
 * Both sides answer the same `fetch(path, init)`, and the same assertions run.
 */
import { Miniflare } from "miniflare";
import { type TestHost, jsApp, startHost } from "../helpers/host.js";

export interface CompatApp {
  name: string;
  source: string;
  /** Binding name → exported class, as in wrangler's durable_objects.bindings. */
  bindings: Record<string, string>;
  compatibilityDate?: string;
  /** The assertions, against either side. */
  check(
    fetch: (path: string, init?: RequestInit) => Promise<Response>,
    socket: (path: string) => Promise<Socket>,
  ): Promise<void>;
}

/** A client WebSocket, accepted, with the messages it received so far. */
export interface Socket {
  send(message: string): void;
  /** Resolves once `n` messages have arrived (bounded: rejects after 10 s). */
  received(n: number): Promise<string[]>;
  close(): void;
}

export interface Side {
  fetch(app: CompatApp, path: string, init?: RequestInit): Promise<Response>;
  /** A WebSocket to the app (through Miniflare's dispatchFetch, on both sides). */
  socket(app: CompatApp, path: string): Promise<Socket>;
  deploy(app: CompatApp): Promise<void>;
  dispose(): Promise<void>;
}

const DATE = "2026-07-01";

/** Plain workerd: one Miniflare per app, with its namespaces as ordinary bindings. */
export function plainSide(): Side {
  const running = new Map<string, Miniflare>();
  return {
    async deploy(app) {
      const mf = new Miniflare({
        modules: [{ type: "ESModule", path: "index.js", contents: app.source }],
        compatibilityDate: app.compatibilityDate ?? DATE,
        durableObjects: Object.fromEntries(
          Object.entries(app.bindings).map(([b, className]) => [b, { className, useSQLite: true }]),
        ),
      });
      await mf.ready;
      running.set(app.name, mf);
    },
    fetch: (app, path, init) =>
      running.get(app.name)!.dispatchFetch(`http://app.test${path}`, init as never) as unknown as Promise<Response>,
    socket: (app, path) => openSocket(running.get(app.name)!, `http://app.test${path}`),
    async dispose() {
      await Promise.all([...running.values()].map((mf) => mf.dispose()));
    },
  };
}

/** Our host on workerd: every app deployed through the control API. */
export async function hostSide(): Promise<Side & { host: TestHost }> {
  const host = await startHost({ config: { cacheTtlSeconds: 0 } });
  return {
    host,
    async deploy(app) {
      await host.control.rollOut(app.name, {
        ...jsApp(app.source),
        compatibilityDate: app.compatibilityDate ?? DATE,
        durableObjects: app.bindings,
      });
    },
    fetch: (app, path, init) => host.fetch(`/apps/${app.name}${path}`, init),
    socket: (app, path) => openSocket(host.mf, new URL(`/apps/${app.name}${path}`, host.url).toString()),
    dispose: () => host.dispose(),
  };
}

async function openSocket(mf: Miniflare, url: string): Promise<Socket> {
  const res = await mf.dispatchFetch(url, { headers: { upgrade: "websocket" } });
  const ws = res.webSocket;
  if (!ws) throw new Error(`no WebSocket: ${res.status} ${await res.text()}`);
  ws.accept();
  const messages: string[] = [];
  const waiters: (() => void)[] = [];
  ws.addEventListener("message", (e) => {
    messages.push(String(e.data));
    for (const w of waiters.splice(0)) w();
  });
  return {
    send: (m) => ws.send(m),
    received: (n) =>
      new Promise((resolve, reject) => {
        const timer = setTimeout(() => reject(new Error(`${messages.length} of ${n} messages: ${messages}`)), 10_000);
        const look = () => {
          if (messages.length >= n) {
            clearTimeout(timer);
            resolve(messages.slice(0, n));
          } else waiters.push(look);
        };
        look();
      }),
    close: () => ws.close(1000, "done"),
  };
}
