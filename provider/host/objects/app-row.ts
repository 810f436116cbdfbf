/**
 * An app's one row in its AppControl (`_dw_app`), and the data plane's view
 * of it with a given version current.
 */
import type { VersionManifest } from "../../shared/version-hash.js";
import { effectiveQuota, type AppSettings, type AssetOptions } from "../../shared/schema/index.js";
import type { platformConfig } from "../env.js";
import type { ResolvedApp } from "./app-types.js";
import { fail, ok, type Result } from "../../shared/control/errors.js";
import { navigationPrefersAssets } from "../data-plane/asset-intent.js";
import type { AppInfo, DeployOutcome } from "../../shared/control/responses.js";

/** The data plane's view of the app with `versionHash` current (also for loading one before it is). */
export function resolvedOf(
  row: AppRow,
  versionHash: string,
  deploySeq: number,
  manifest: VersionManifest | undefined,
  config: ReturnType<typeof platformConfig>,
): ResolvedApp {
  const settings = JSON.parse(row.settings) as AppSettings;
  return {
    app: row.name,
    versionHash,
    deploySeq,
    durableObject: manifest?.durableObject ?? null,
    durableObjects: manifest?.durableObjects ?? {},
    quota: effectiveQuota(settings.quota, config),
    outbound: settings.outbound,
    logs: settings.logs ?? false,
    ...(manifest?.assets ? { assets: assetRouting(manifest) } : {}),
  };
}

/** The serving options of a version's assets, without its files. */
function assetRouting(m: VersionManifest): AssetOptions & { navigation: boolean } {
  const { binding, htmlHandling, notFoundHandling, runWorkerFirst } = m.assets!;
  const navigation = navigationPrefersAssets(m.compatibilityDate, m.compatibilityFlags);
  return { binding, htmlHandling, notFoundHandling, runWorkerFirst, navigation };
}

export type AppRow = {
  name: string;
  created_at: number;
  updated_at: number;
  settings: string;
  current_version: string | null;
  deploy_seq: number;
};

/**
 * Why `versionHash` cannot be deployed over this row now, or null. Deploying
 * the current version succeeds whatever was expected (a retried deploy is
 * harmless); otherwise `expectedCurrent` must be current (optimistic concurrency).
 */
export function deployRefusal(
  row: AppRow | undefined,
  versionHash: string,
  expectedCurrent: string | null,
  stored: (hash: string) => boolean,
): Result<DeployOutcome> | null {
  if (!row) return fail("not_found", "no such app");
  if (row.current_version === versionHash) {
    return ok({ versionHash, previous: versionHash, deploySeq: row.deploy_seq, changed: false });
  }
  if (row.current_version !== expectedCurrent) {
    return fail(
      "version_conflict",
      `the current version is ${row.current_version ?? "none"}, not ${expectedCurrent ?? "none"} as expected; the app changed since you last read it`,
      { current: row.current_version },
    );
  }
  if (!stored(versionHash)) return fail("not_found", `version ${versionHash} is not stored for this app`);
  return null;
}

/** What GET /apps/:app says of the row and its current manifest (AppControl adds objects and the rollout). */
export function infoOfRow(
  row: AppRow,
  manifest: VersionManifest | undefined,
  config: ReturnType<typeof platformConfig>,
): Omit<AppInfo, "objects" | "objectsByClass"> {
  const settings = JSON.parse(row.settings) as AppSettings;
  return {
    name: row.name,
    createdAt: new Date(row.created_at).toISOString(),
    updatedAt: new Date(row.updated_at).toISOString(),
    currentVersion: row.current_version,
    deploySeq: row.deploy_seq,
    settings,
    quota: effectiveQuota(settings.quota, config),
    durableObject: manifest?.durableObject ?? null,
    durableObjects: manifest?.durableObjects ?? {},
  };
}

export function readRow(sql: SqlStorage): AppRow | undefined {
  return sql.exec<AppRow>("SELECT * FROM _dw_app WHERE id = 1").toArray()[0];
}

/** Creates the app's row or replaces its settings. */
export function writeSettings(sql: SqlStorage, exists: boolean, name: string, settings: AppSettings): void {
  const now = Date.now();
  if (exists) {
    sql.exec("UPDATE _dw_app SET settings = ?, updated_at = ? WHERE id = 1", JSON.stringify(settings), now);
  } else {
    const insert = "INSERT INTO _dw_app (id, name, created_at, updated_at, settings) VALUES (1, ?, ?, ?, ?)";
    sql.exec(insert, name, now, now, JSON.stringify(settings));
  }
}

/** Deploy numbers only grow, even across a delete that retains data, so objects can tell newer code. */
export function nextDeploySeq(sql: SqlStorage): number {
  const r = sql.exec<{ value: string }>("SELECT value FROM _dw_meta WHERE key = 'deploy_seq'").toArray()[0];
  const next = (r ? Number(r.value) : 0) + 1;
  sql.exec(
    "INSERT INTO _dw_meta (key, value) VALUES ('deploy_seq', ?) ON CONFLICT(key) DO UPDATE SET value = excluded.value",
    String(next),
  );
  return next;
}
