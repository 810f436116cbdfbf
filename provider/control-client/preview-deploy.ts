/**
 * Putting one app's new version in a preview slot: make the slot (against
 * the preview quota), upload the version under the slot's name, make it
 * current, and run the app's seed hook once. Works with the preview token.
 */
import type { AppSettingsInput, AppVersionSpecInput } from "../shared/schema/index.js";
import type { PreviewSlot, SeedOutcome } from "../shared/control/preview-responses.js";
import { type ControlClient, prepareVersion } from "./client.js";

export interface SlotDeployed {
  slot: PreviewSlot;
  versionHash: string;
  /** Whether this deploy changed the slot's version. */
  changed: boolean;
  seed: SeedOutcome;
  appsDomain: string | null;
}

export async function deployToSlot(
  client: ControlClient,
  preview: string,
  app: string,
  spec: AppVersionSpecInput,
  settings: Partial<AppSettingsInput> = {},
): Promise<SlotDeployed> {
  if (spec.secrets && Object.keys(spec.secrets).length > 0) {
    throw new Error(`app '${app}': a preview slot takes no secrets (they stay with production); leave them out`);
  }
  const prepared = await prepareVersion(spec);
  const put = await client.putPreviewApp(preview, app, settings);
  const slot = put.slot.slot;
  await client.putVersion(slot, prepared);
  const d = await client.deploy(slot, prepared.versionHash, put.app.currentVersion);
  const seed = await client.seedPreviewApp(preview, app);
  return { slot: put.slot, versionHash: d.versionHash, changed: d.changed, seed, appsDomain: put.appsDomain };
}
