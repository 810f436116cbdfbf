/**
 * pulumi-dynamic-workers: AI-generated apps on Cloudflare Dynamic Workers,
 * each with its own Durable Object (SQLite) storage, as Pulumi resources.
 * This file is the package's public API: users import only from here (and
 * the provider entry points that state names, resources/<kind>/provider.ts).
 */
export { Platform, LOCAL_API_BASE_URL, type PlatformArgs } from "./resources/platform/component.js";
export type { AppsZone } from "./resources/platform/apps-routing.js";
export { App, type AppArgs, type InlineModule } from "./resources/app/resource.js";
export type { AppInputs } from "./resources/app/resource.js";
export { ControlClient, ControlApiError, prepareVersion, type ControlClientOptions } from "./control-client/client.js";
export { deployToSlot, type SlotDeployed } from "./control-client/preview-deploy.js";
export { bundleApp, BundleError } from "./bundle/bundle-app.js";
export { loadApps, type LoadAppsOptions } from "./gitops/load-apps.js";
export {
  AppManifest,
  ManifestError,
  parseManifest,
  readAppFolders,
  type AppFolder,
  type ManifestProblem,
} from "./gitops/manifest.js";
export {
  versionHashOf,
  canonicalVersionText,
  sha256Hex,
  APP_SETTINGS,
  AppName,
  AppVersionSpec,
  AppSettingsInput,
  Quota,
  QuotaInput,
  QUOTA_DEFAULTS,
  RolloutInput,
  ROLLOUT_DEFAULTS,
  Tags,
  Outbound,
  PlatformConfig,
  PreviewId,
  PreviewQuotaConfig,
  derivePreviewToken,
  slotName,
  LIMITS,
  type FieldIssue,
} from "./shared/index.js";
