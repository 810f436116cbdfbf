/** What AppControl answers: the shapes the control plane and the data plane read. */
import type { VersionManifest } from "../hash.js";
import type { AppSettings, ModuleType, Outbound, Quota } from "../schema.js";

export interface AppInfo {
  name: string;
  createdAt: string;
  updatedAt: string;
  currentVersion: string | null;
  deploySeq: number;
  /** The settings as declared. */
  settings: AppSettings;
  /** The quota in force: declared fields over platform defaults over Quota's defaults. */
  quota: Quota;
  durableObject: string | null;
  objects: number;
}

export interface VersionInfo {
  versionHash: string;
  createdAt: string;
  size: number;
  modules: number;
  current: boolean;
}

export interface VersionDetail extends VersionInfo {
  manifest: VersionManifest;
  /** Module name to its content (UTF-8, or base64 for data/wasm), when asked for. */
  contents?: Record<string, { type: ModuleType; content: string }>;
}

/** What the data plane needs to serve an app, cached per isolate. */
export interface ResolvedApp {
  app: string;
  versionHash: string;
  deploySeq: number;
  durableObject: string | null;
  quota: Quota;
  outbound: Outbound;
}

/** Everything the Worker Loader needs for one version, as the loader takes modules. */
export interface StoredWorkerCode {
  mainModule: string;
  compatibilityDate: string;
  compatibilityFlags: string[];
  durableObject: string | null;
  env: Record<string, string>;
  modules: Record<string, WorkerLoaderModule>;
}

export interface DeployOutcome {
  versionHash: string;
  previous: string | null;
  deploySeq: number;
  changed: boolean;
}
