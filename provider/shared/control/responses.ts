/**
 * The control API's answers, shared by the host (which builds them) and its
 * clients (which read them). Node and workerd both compile this file.
 */
import type { VersionManifest } from "../version-hash.js";
import type { AppSettings, ModuleType, Quota } from "../schema/index.js";

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

/** `GET /apps/:app/versions/:hash/sources`: `files` is null when none were uploaded for the version. */
export interface VersionSources {
  versionHash: string;
  files: Record<string, string> | null;
}

export interface DeployOutcome {
  versionHash: string;
  previous: string | null;
  deploySeq: number;
  changed: boolean;
}

export interface AppUsage {
  requests: { total: number; thisMinute: number; lastMinute: number; limitPerMinute: number };
  errors: number;
  objects: { count: number; limit: number };
  outbound: { total: number; allow: string[] | "none" };
  /** The objects' database sizes as they last reported them (see README for how exact). */
  storedBytes: { used: number; limit: number };
}
