/**
 * gitops/: apps declared as folders in git, and the pull-request comment: load-apps.ts (this file),
 * manifest.ts (app.json), app-changes.ts and preview-comment.ts (the comment), source-diff.ts and
 * diff-markdown.ts (its source diffs).
 *
 * loadApps: one App per app folder (a sub-folder holding app.json or
 * app.jsonc; see manifest.ts). Every folder is read and validated before any
 * App is created, and every problem of every folder is thrown together, so
 * one bad folder does not hide the others'.
 */
import type * as pulumi from "@pulumi/pulumi";
import { App } from "../resources/app/resource.js";
import { join } from "node:path";
import { ManifestError, readAppFolders, type AppFolder } from "./manifest.js";
import type { AppAssetsArgs } from "../resources/app/assets-args.js";
import type { Platform } from "../resources/platform/component.js";
import { APP_SETTING_NAMES } from "../shared/schema/index.js";

export interface LoadAppsOptions {
  /** Secret env vars per app name (they do not belong in a committed manifest). */
  secrets?: Record<string, pulumi.Input<Record<string, pulumi.Input<string>>>>;
  /** Prefix of the Pulumi resource names (the app names stay as declared). @default "" */
  resourcePrefix?: string;
  /** Resource options given to every App. */
  resourceOptions?: pulumi.CustomResourceOptions;
}

/**
 * Declares one App per app folder of `dir` on `platform`; returns them by app
 * name. Throws a ManifestError naming every bad folder, field and what is
 * allowed, before any App is created.
 */
export function loadApps(platform: Platform, dir: string, opts: LoadAppsOptions = {}): Record<string, App> {
  const folders: AppFolder[] = readAppFolders(dir);
  const known = new Set(folders.map((f) => f.name));
  const unknown = Object.keys(opts.secrets ?? {}).filter((n) => !known.has(n));
  if (unknown.length > 0) {
    throw new ManifestError(
      dir,
      unknown.map((n) => ({
        folder: dir,
        file: null,
        path: `secrets.${n}`,
        message: `no app folder declares the app '${n}' (apps: ${[...known].join(", ") || "none"})`,
      })),
    );
  }
  const apps: Record<string, App> = {};
  for (const f of folders) {
    const m = f.manifest;
    const secrets = opts.secrets?.[f.name];
    apps[f.name] = new App(
      `${opts.resourcePrefix ?? ""}${f.name}`,
      {
        platform,
        name: f.name,
        source: f.source,
        ...(m.durableObject !== undefined && { durableObject: m.durableObject }),
        ...(m.durableObjects !== undefined && { durableObjects: m.durableObjects }),
        ...(m.compatibilityDate !== undefined && { compatibilityDate: m.compatibilityDate }),
        ...(m.compatibilityFlags !== undefined && { compatibilityFlags: m.compatibilityFlags }),
        ...(m.env !== undefined && { env: m.env }),
        ...(m.assets !== undefined && { assets: assetsOf(f.folder, m.assets) }),
        ...(secrets !== undefined && { secrets }),
        ...Object.fromEntries(APP_SETTING_NAMES.filter((k) => m[k] !== undefined).map((k) => [k, m[k]])),
      },
      opts.resourceOptions ?? {},
    );
  }
  return apps;
}

/** A manifest's `assets`, its folder relative to the app folder, and no field left as null (the App's default). */
function assetsOf(folder: string, a: NonNullable<AppFolder["manifest"]["assets"]>): AppAssetsArgs {
  const { binding, ...rest } = a;
  return { ...rest, directory: join(folder, a.directory), ...(binding ? { binding } : {}) };
}
