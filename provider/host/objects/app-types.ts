/** Host-only shapes AppControl answers with; the control API's own are in shared/control/responses.ts. */
import type { AssetOptions, Outbound, Quota } from "../../shared/schema/index.js";

/** What the data plane needs to serve an app, cached per isolate. */
export interface ResolvedApp {
  app: string;
  versionHash: string;
  deploySeq: number;
  durableObject: string | null;
  /** Declared namespace bindings: binding → class. */
  durableObjects: Record<string, string>;
  quota: Quota;
  outbound: Outbound;
  /** Whether the app's isolate has the log tail. */
  logs: boolean;
  /**
   * How the version serves static assets (its files stay in AppControl), and whether navigations
   * prefer them (by its compatibility date); absent: it has none.
   */
  assets?: AssetOptions & { navigation: boolean };
  /**
   * An active gradual rollout: `candidate` (the same view, for the new
   * version) serves `percent` of objects and stateless requests; this view
   * (stable) the rest. Picked by data-plane/rollout-split.ts.
   */
  rollout?: { id: string; percent: number; candidate: ResolvedApp };
}

/** Everything the Worker Loader needs for one version, as the loader takes modules. */
export interface StoredWorkerCode {
  mainModule: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  durableObject: string | null;
  durableObjects: Record<string, string>;
  env: Record<string, string>;
  modules: Record<string, WorkerLoaderModule>;
  /** The binding of the version's assets in env, if any. */
  assetsBinding: string | null;
}

/** An app object as the entrypoint names it to its supervisor. */
export interface ObjectTarget {
  app: string;
  /** Its name in the app's registry: the app's name for an env.OBJECTS object, `\u0001<class>:<id>` for a namespace's. */
  name: string;
  /** The class it runs. */
  className: string;
  /** The id the object sees as ctx.id, and the name it was made from (idFromName), if any. */
  id: string;
  idName: string | null;
  resolved: ResolvedApp;
}

/** What the data plane asks AppControl for again and again, derived from the app's row and current manifest. */
export interface DataPlaneView {
  quota: Quota;
  resolved: ResolvedApp | null;
}
