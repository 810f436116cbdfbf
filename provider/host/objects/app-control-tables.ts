/**
 * AppControl's SQLite tables, as migration steps: run once each, in order,
 * by migrate() (sql.ts), so a stored app from any earlier host upgrades in
 * place. Append a step; never edit one that shipped.
 */
export const APP_CONTROL_TABLES = [
  `CREATE TABLE _dw_app (
     id INTEGER PRIMARY KEY CHECK (id = 1), name TEXT NOT NULL,
     created_at INTEGER NOT NULL, updated_at INTEGER NOT NULL,
     settings TEXT NOT NULL, current_version TEXT, deploy_seq INTEGER NOT NULL DEFAULT 0);
   CREATE TABLE _dw_versions (
     seq INTEGER PRIMARY KEY AUTOINCREMENT, hash TEXT NOT NULL UNIQUE,
     created_at INTEGER NOT NULL, manifest TEXT NOT NULL, size INTEGER NOT NULL);
   CREATE TABLE _dw_version_modules (version TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (version, sha256));
   CREATE TABLE _dw_blobs (sha256 TEXT NOT NULL, chunk INTEGER NOT NULL, data BLOB NOT NULL, PRIMARY KEY (sha256, chunk));
   CREATE TABLE _dw_blob_sizes (sha256 TEXT PRIMARY KEY, size INTEGER NOT NULL);
   CREATE TABLE _dw_deploys (seq INTEGER PRIMARY KEY, version TEXT NOT NULL, at INTEGER NOT NULL, kind TEXT NOT NULL);
   CREATE TABLE _dw_objects (name TEXT PRIMARY KEY, created_at INTEGER NOT NULL);
   CREATE TABLE _dw_errors (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, request_id TEXT NOT NULL, message TEXT NOT NULL);`,
  `CREATE TABLE _dw_counters (name TEXT PRIMARY KEY, value INTEGER NOT NULL);
   CREATE TABLE _dw_windows (window INTEGER PRIMARY KEY, granted INTEGER NOT NULL, used INTEGER NOT NULL);
   CREATE TABLE _dw_logs (id INTEGER PRIMARY KEY AUTOINCREMENT, at INTEGER NOT NULL, level TEXT NOT NULL, message TEXT NOT NULL);`,
  `ALTER TABLE _dw_objects ADD COLUMN bytes INTEGER NOT NULL DEFAULT 0;`,
  `CREATE TABLE _dw_version_sources (version TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL, PRIMARY KEY (version, path));`,
  // A version's secret values, as JSON: the manifest holds only their names and keyed digest.
  `ALTER TABLE _dw_versions ADD COLUMN secrets TEXT NOT NULL DEFAULT '{}';`,
  // A version's static asset files (contents in _dw_blobs).
  `CREATE TABLE _dw_version_assets (
     version TEXT NOT NULL, path TEXT NOT NULL, sha256 TEXT NOT NULL, size INTEGER NOT NULL, content_type TEXT,
     PRIMARY KEY (version, path));
   CREATE INDEX _dw_version_assets_sha ON _dw_version_assets (sha256);`,
  // A gradual rollout (rollout-store.ts), requests and errors per version since it started, and each error's version.
  `CREATE TABLE _dw_rollout (
     id INTEGER PRIMARY KEY CHECK (id = 1), candidate TEXT NOT NULL, percent REAL NOT NULL, status TEXT NOT NULL,
     max_error_rate REAL NOT NULL, min_requests INTEGER NOT NULL, started_at INTEGER NOT NULL,
     updated_at INTEGER NOT NULL, stopped_at INTEGER, stopped_reason TEXT);
   CREATE TABLE _dw_version_usage (version TEXT PRIMARY KEY, requests INTEGER NOT NULL, errors INTEGER NOT NULL);
   ALTER TABLE _dw_errors ADD COLUMN version TEXT;`,
];

/** The tables remove() empties: everything of the app but its object registry. */
export const TABLES_OF_THE_APP = [
  "_dw_app",
  "_dw_versions",
  "_dw_version_modules",
  "_dw_version_sources",
  "_dw_version_assets",
  "_dw_blobs",
  "_dw_blob_sizes",
  "_dw_deploys",
  "_dw_errors",
  "_dw_counters",
  "_dw_windows",
  "_dw_logs",
  "_dw_rollout",
  "_dw_version_usage",
] as const;
