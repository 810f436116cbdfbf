/**
 * pulumi-dynamic-workers: AI-generated apps on Cloudflare Dynamic Workers,
 * each with its own Durable Object (SQLite) storage, as Pulumi resources.
 */
export { Platform, LOCAL_API_BASE_URL, type PlatformArgs } from "./platform.js";
export { App, type AppArgs, type InlineModule } from "./app.js";
export { ControlClient, ControlApiError, prepareVersion, type ControlClientOptions } from "./control-client.js";
export { bundleApp, BundleError } from "./bundle.js";
export { loadApps, type LoadAppsOptions } from "./load-apps.js";
export { AppManifest, ManifestError, parseManifest, readAppFolders, type AppFolder, type ManifestProblem } from "./manifest.js";
export { versionHashOf, canonicalVersionText, sha256Hex } from "./hash.js";
export {
  AppName,
  AppVersionSpec,
  AppSettingsInput,
  Quota,
  QuotaInput,
  QUOTA_DEFAULTS,
  Tags,
  Outbound,
  PlatformConfig,
  LIMITS,
  type FieldIssue,
} from "./schema.js";
