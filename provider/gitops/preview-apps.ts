/**
 * The apps a pull request's preview deploys: the app folders (manifest.ts)
 * whose App changes in `pulumi preview --json` (app-changes.ts reads its
 * steps), each bundled into the version spec and settings its preview slot
 * gets. The Wrangler file of a folder is read as the App resource reads it.
 */
import { join } from "node:path";
import { bundleApp } from "../bundle/bundle-app.js";
import { startIssues } from "../bundle/start-checks.js";
import { readWranglerConfig } from "../bundle/wrangler-config.js";
import { APP_DEFAULT_COMPATIBILITY_DATE } from "../resources/app/resource.js";
import { HOST_SETTING_NAMES, type AppSettingsInput, type AppVersionSpecInput } from "../shared/schema/index.js";
import { describeAppStep, isApp, type PreviewJson } from "./app-changes.js";
import { readAppFolders, type AppFolder } from "./manifest.js";

/** Ops of `pulumi preview --json` steps that change an app (a rename is a replace). */
const CHANGING_OPS = new Set(["create", "update", "replace", "create-replacement"]);

/** The app names whose App a preview creates, changes or replaces (by their new name). */
export function changedAppNames(preview: PreviewJson): Set<string> {
  const names = new Set<string>();
  for (const s of (preview.steps ?? []).filter(isApp)) if (CHANGING_OPS.has(s.op)) names.add(describeAppStep(s).app);
  return names;
}

export interface PreviewAppPlan {
  folders: AppFolder[];
  /** Changed apps that have no folder here (declared elsewhere in the program): not previewed. */
  elsewhere: string[];
}

/** The folders of `dir` to preview: those `preview` says change, or all of them without one. */
export function previewAppPlan(dir: string, preview?: PreviewJson): PreviewAppPlan {
  const folders = readAppFolders(dir);
  if (!preview) return { folders, elsewhere: [] };
  const changed = changedAppNames(preview);
  const known = new Set(folders.map((f) => f.name));
  return { folders: folders.filter((f) => changed.has(f.name)), elsewhere: [...changed].filter((n) => !known.has(n)) };
}

/** A folder's version spec and host settings, bundled; throws naming the app when its code would not start. */
export async function previewAppOf(
  f: AppFolder,
): Promise<{ spec: AppVersionSpecInput; settings: Partial<AppSettingsInput> }> {
  const m = f.manifest;
  const w = readWranglerConfig(f.source);
  const source = w?.main !== undefined ? join(f.source, w.main) : f.source;
  const durableObjects = m.durableObjects ?? w?.durableObjects;
  const compatibilityFlags = m.compatibilityFlags ?? w?.compatibilityFlags ?? [];
  const bundle = await bundleApp(source);
  const issues = startIssues(bundle, { durableObject: m.durableObject ?? null, durableObjects, compatibilityFlags });
  if (issues.length > 0) {
    throw new Error(
      `app '${f.name}': its code would not start: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`,
    );
  }
  const spec: AppVersionSpecInput = {
    mainModule: bundle.mainModule,
    modules: bundle.modules,
    compatibilityDate: m.compatibilityDate ?? w?.compatibilityDate ?? APP_DEFAULT_COMPATIBILITY_DATE,
    compatibilityFlags,
    ...(m.durableObject !== undefined && { durableObject: m.durableObject }),
    ...(durableObjects !== undefined && { durableObjects }),
    env: { ...w?.env, ...m.env },
  };
  const settings: Partial<AppSettingsInput> = {};
  for (const k of HOST_SETTING_NAMES) if (m[k] !== undefined) (settings as Record<string, unknown>)[k] = m[k];
  if (w?.cpuMs !== undefined) settings.quota = { cpuMs: w.cpuMs, ...settings.quota };
  return { spec, settings };
}
