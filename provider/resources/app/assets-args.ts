/**
 * An App's static assets: the `assets` argument over the Wrangler file's
 * `assets` field, field by field, and the folder read into a version's
 * asset table at preview (contents into the bundle cache, by sha256).
 */
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { AssetsError, readAssetFolder } from "../../bundle/assets.js";
import type { ModuleCache } from "../../bundle/bundle-app.js";
import type { WranglerAssets } from "../../bundle/wrangler-config.js";
import { readFileSync } from "node:fs";
import { AssetOptions, assetBindingClash, formatIssues, type VersionAssets } from "../../shared/schema/index.js";

/** Static assets, as Workers Static Assets serves them (Wrangler's `assets` field, in camelCase). */
export interface AppAssetsArgs {
  /** The folder of files to serve: relative to the working folder (a Wrangler file's: to that file). */
  directory?: string;
  /** The binding the app's code fetches its assets through (`env.ASSETS.fetch(request)`). @default none */
  binding?: string;
  /** @default "auto-trailing-slash" */
  htmlHandling?: AssetOptions["htmlHandling"];
  /** @default "none" */
  notFoundHandling?: AssetOptions["notFoundHandling"];
  /** true: every request runs the app's code first; patterns: the matching ones. @default false */
  runWorkerFirst?: AssetOptions["runWorkerFirst"];
}

/** Where each merged `assets` came from, for errors that name the file and field. */
const origins = new WeakMap<AppAssetsArgs, string>();

/** The App's `assets` over the Wrangler file's (whose directory is relative to `source`). */
export function mergeAssets(
  given: AppAssetsArgs | undefined,
  fromFile: WranglerAssets | undefined,
  source: string,
  file: string,
): AppAssetsArgs | undefined {
  if (!fromFile) return given;
  const merged: AppAssetsArgs = { ...fromFile, directory: join(source, fromFile.directory), ...given };
  origins.set(
    merged,
    given?.directory !== undefined ? "assets.directory" : `${source.replace(/\/$/, "")}/${file}: assets.directory`,
  );
  return merged;
}

/**
 * The version's assets: the folder read, its contents put in `cache`. Every
 * problem names the app and the field, at preview.
 */
export function prepareAssets(
  name: string,
  args: { assets?: AppAssetsArgs; durableObjects?: Record<string, string>; env?: Record<string, string> },
  cache: ModuleCache,
): VersionAssets | null {
  const a = args.assets;
  if (a === undefined) return null;
  const field = origins.get(a) ?? "assets.directory";
  if (a.directory === undefined) throw new Error(`App '${name}': assets.directory: give the folder of files to serve`);
  const parsed = AssetOptions.safeParse({
    binding: a.binding ?? null,
    htmlHandling: a.htmlHandling,
    notFoundHandling: a.notFoundHandling,
    runWorkerFirst: a.runWorkerFirst,
  });
  if (!parsed.success) {
    const where = field.replace(/assets\.directory$/, "assets");
    throw new Error(
      `App '${name}': ${formatIssues(parsed.error, where)
        .map((i) => `${i.path}: ${i.message}`)
        .join("; ")}`,
    );
  }
  const clash = assetBindingClash(parsed.data.binding, args);
  if (clash) throw new Error(`App '${name}': assets.binding: ${clash}`);
  let folder: ReturnType<typeof readAssetFolder>;
  try {
    folder = readAssetFolder(a.directory, field);
  } catch (e) {
    if (e instanceof AssetsError) throw new Error(`App '${name}': ${e.message}`);
    throw e;
  }
  for (const w of folder.warnings) pulumi.log.warn(`App '${name}': ${a.directory}/${w}`);
  for (const [sha, path] of Object.entries(folder.paths)) if (!cache.get(sha)) cache.put(readFileSync(path));
  return { ...parsed.data, files: folder.files };
}
