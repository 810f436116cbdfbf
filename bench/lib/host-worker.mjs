// The host Worker as the benchmarks run it in Miniflare: the built dist/host.js
// with its Worker Loader, its SQLite Durable Objects, a bench token and the
// platform config from BENCH_PLATFORM_CONFIG, on a direct 127.0.0.1 socket.
import { dirname, join } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..", "..");

/** A module of the built package (run `npm run build` first). */
export const dist = (p) => import(pathToFileURL(join(root, "dist", "provider", p)).href);

/** The control token every benchmark's host takes. */
export const TOKEN = "bench-control-token-0123456789abcdef";

/** Miniflare's worker options for the host (named "host"), its bundle, and the compatibility date other Workers beside it take. */
export async function hostWorker() {
  const { HOST_COMPATIBILITY_DATE, HOST_DURABLE_OBJECTS, hostBundle } = await dist("cloudflare/host-script.js");
  const bundle = hostBundle();
  const options = {
    name: "host",
    modules: [{ type: "ESModule", path: "host.js", contents: bundle.code }],
    compatibilityDate: HOST_COMPATIBILITY_DATE,
    workerLoaders: { LOADER: {} },
    durableObjects: Object.fromEntries(
      Object.entries(HOST_DURABLE_OBJECTS).map(([binding, className]) => [binding, { className, useSQLite: true }]),
    ),
    bindings: { CONTROL_TOKEN: TOKEN, PLATFORM_CONFIG: JSON.parse(process.env.BENCH_PLATFORM_CONFIG ?? "{}") },
    unsafeDirectSockets: [{ host: "127.0.0.1", port: 0 }],
  };
  return { options, bundle, compatibilityDate: HOST_COMPATIBILITY_DATE };
}
