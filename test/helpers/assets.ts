/**
 * Static assets in tests: a folder of files, and an app rolled out with
 * them through the real control API (contents uploaded as the App provider
 * uploads them: only what the host lacks).
 */
import { mkdirSync, readFileSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { readAssetFolder } from "../../provider/bundle/assets.js";
import { uploadAssets, type AssetUploadReport } from "../../provider/control-client/asset-upload.js";
import { prepareVersion, type ControlClient } from "../../provider/control-client/client.js";
import type { AppSettingsInput, AppVersionSpecInput, AssetOptions } from "../../provider/shared/schema/index.js";

/** Writes `files` (path → content) under `dir`. */
export function writeFiles(dir: string, files: Record<string, string | Uint8Array>): string {
  for (const [path, content] of Object.entries(files)) {
    mkdirSync(dirname(join(dir, path)), { recursive: true });
    writeFileSync(join(dir, path), content);
  }
  return dir;
}

/** Puts the app, uploads the folder's missing assets, stores the version and deploys it. */
export async function rollOutWithAssets(
  control: ControlClient,
  app: string,
  spec: AppVersionSpecInput,
  dir: string,
  options: Partial<AssetOptions> = {},
  settings: Partial<AppSettingsInput> = {},
): Promise<{ versionHash: string; upload: AssetUploadReport }> {
  const folder = readAssetFolder(dir, "assets.directory");
  const { app: info } = await control.putApp(app, settings);
  const upload = await uploadAssets(control, app, folder.files, (sha) => readFileSync(folder.paths[sha]!));
  const prepared = await prepareVersion({ ...spec, assets: { ...options, files: folder.files } });
  await control.putVersion(app, prepared);
  await control.deploy(app, prepared.versionHash, info.currentVersion);
  return { versionHash: prepared.versionHash, upload };
}
