/**
 * The control API's answers, shared by the host (which builds them) and its
 * clients (which read them); routes.ts says which route answers which.
 * Node and workerd both compile this file.
 */
import type { z } from "zod";
import type { VersionManifest } from "../version-hash.js";
import type { AppSettings, DataOnDelete, ModuleType, PlatformConfig, Quota } from "../schema/index.js";

/** `GET /platform`. */
export interface PlatformAnswer {
  platform: { config: PlatformConfig; apps: number };
}

export interface AppListEntry {
  name: string;
  createdAt: string;
}

/** `GET /apps`: one page, in name order; `cursor` is null on the last page. */
export interface AppList {
  apps: AppListEntry[];
  cursor: string | null;
  total: number;
}

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
  /** Declared namespace bindings: binding → class. */
  durableObjects: Record<string, string>;
  /** Every object of the app, across its classes (what maxObjects counts). */
  objects: number;
  /** The same, per class. */
  objectsByClass: Record<string, number>;
  /** The gradual rollout in progress or stopped; null when the current version serves everything. */
  rollout?: RolloutInfo | null;
}

/** A gradual rollout as the host keeps it (see shared/schema/rollout.ts). */
export interface RolloutInfo {
  /** The version serving the rest: the app's current version. */
  stable: string | null;
  /** The version serving `percent` of objects and stateless requests. */
  candidate: string;
  percent: number;
  /** "stopped": the host sent every request back to stable (see `stoppedReason`). */
  status: "active" | "stopped";
  maxErrorRate: number;
  minRequests: number;
  startedAt: string;
  updatedAt: string;
  stoppedAt: string | null;
  stoppedReason: string | null;
  /** Requests and errors per version since the rollout started (version hash → counts). */
  usage: Record<string, VersionUsage>;
}

export interface VersionUsage {
  requests: number;
  errors: number;
}

/** `POST /apps/:app/rollout`. */
export interface RolloutOutcome {
  currentVersion: string | null;
  rollout: RolloutInfo | null;
  deploySeq: number;
  changed: boolean;
}

/** `PUT /apps/:app` (201 when created) and `GET /apps/:app`. */
export interface AppAnswer {
  app: AppInfo;
}

/** `DELETE /apps/:app`: `objects` counts the app's objects, deleted or kept as `data` says. */
export interface DeleteOutcome {
  deleted: string;
  data: z.output<typeof DataOnDelete>;
  objects: number;
}

/** `POST /apps/:app/modules/missing`: the hashes whose content the host lacks. */
export interface MissingModules {
  missing: string[];
}

/** `POST /apps/:app/assets`: files stored by this call (those already stored count 0), and the app's totals so far. */
export interface AssetsStored {
  stored: number;
  bytes: number;
  /** Asset files and bytes this app was ever sent (what an upload cost, counted by the host). */
  uploaded: { files: number; bytes: number };
}

/** A piece of a content stored; `stored` once every piece is in and the whole hashes to its sha256. */
export interface ModuleChunkStored {
  sha256: string;
  received: number;
  of: number;
  stored: boolean;
}

/** `POST /apps/:app/versions` (201 when created). */
export interface VersionStored {
  versionHash: string;
  created: boolean;
}

export interface VersionInfo {
  versionHash: string;
  createdAt: string;
  size: number;
  modules: number;
  current: boolean;
  /** The percent of objects and stateless requests it serves now (100 for the current version without a rollout). */
  share?: number;
}

export interface VersionDetail extends VersionInfo {
  manifest: VersionManifest;
  /** Module name to its content (UTF-8, or base64 for data/wasm), when asked for. */
  contents?: Record<string, { type: ModuleType; content: string }>;
}

/** `GET /apps/:app/versions`. */
export interface VersionList {
  versions: VersionInfo[];
}

/** `GET /apps/:app/versions/:hash`. */
export interface VersionAnswer {
  version: VersionDetail;
}

/** `PUT /apps/:app/versions/:hash/sources`: how many files the version now keeps. */
export interface SourcesStored {
  files: number;
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
  /** Every object of the app against maxObjects, and the count per class. */
  objects: { count: number; limit: number; byClass: Record<string, number> };
  outbound: { total: number; allow: string[] | "none" };
  /** The objects' database sizes as the host last measured them (see README for how exact). */
  storedBytes: { used: number; limit: number };
  /** Requests and errors per version since the current rollout started (empty without one). */
  versions?: Record<string, VersionUsage>;
}

/** `GET /apps/:app/usage`. */
export interface UsageAnswer {
  usage: AppUsage;
}

export interface AppLogLine {
  at: string;
  level: string;
  message: string;
}

/** `GET /apps/:app/logs`: recent console lines and exceptions, for an app with `logs: true`. */
export interface LogsAnswer {
  logs: AppLogLine[];
}

export interface AppErrorEntry {
  at: string;
  requestId: string;
  message: string;
  /** The version that failed; null for errors recorded before versions were. */
  versionHash?: string | null;
}

/** `GET /apps/:app/errors`: recent uncaught errors, with the request ids their 500s carried. */
export interface AppErrors {
  errors: AppErrorEntry[];
}

/** `POST /apps/:app/scheduled`: how the run went; a failed or refused run is also in the app's errors. */
export interface ScheduledRunAnswer {
  run: {
    app: string;
    cron: string;
    scheduledTime: number;
    outcome: "ran" | "failed" | "rate_limited" | "not_deployed";
    message?: string;
    requestId?: string;
  };
}
