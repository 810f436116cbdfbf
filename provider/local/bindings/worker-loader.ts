/** worker_loader: the Dynamic Workers loader (Miniflare 4 `workerLoaders`). */
import type { BindingKind } from "./types.js";

export const workerLoader: BindingKind<"worker_loader"> = {
  check: () => null,
  describe: (b) => ({ type: "worker_loader", name: b.name }),
  apply(b, worker) {
    worker.workerLoaders = { ...worker.workerLoaders, [b.name]: {} };
  },
};
