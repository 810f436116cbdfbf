// GitOps: every folder of apps/ that holds an app.json (or app.jsonc) is one
// app. An agent adds or changes a folder in a pull request; the workflow in
// .github/workflows/pulumi.yml posts the `pulumi preview` as a comment, and
// `pulumi up` runs on main. A bad manifest fails the preview naming every bad
// folder, field and what is allowed.
// Stack config (all optional):
//   accountId   Cloudflare account id, default "local" (the local target)
//   apiBaseUrl  the Cloudflare API, default the local target's
//   appsDir     where the app folders are, default ./apps beside this file
//   workersDevSubdomain  serve the host on <script>.<subdomain>.workers.dev
//   previews    the preview quota, e.g. {"maxSlots": 20, "ttlHours": 72} (see the README's Pull-request previews)
import * as pulumi from "@pulumi/pulumi";
import { fileURLToPath } from "node:url";
import { LOCAL_API_BASE_URL, Platform, loadApps, type PlatformArgs } from "pulumi-dynamic-workers";

const config = new pulumi.Config();
const accountId = config.get("accountId") ?? "local";
const subdomain = config.get("workersDevSubdomain");

const platform = new Platform("apps", {
  accountId,
  ...(accountId === "local" && { apiBaseUrl: config.get("apiBaseUrl") ?? LOCAL_API_BASE_URL }),
  ...(subdomain !== undefined && { workersDev: { subdomain } }),
  // The ceilings no app folder can raise: a pull request asking for more fails its preview.
  limits: { maxApps: 100, maxQuota: { maxObjects: 1000, maxStorageBytes: 1_000_000_000, requestsPerMinute: 60_000 } },
  defaults: { quota: { requestsPerMinute: 600 } },
  // Pull-request previews (`dynamic-workers preview deploy`): slots at once, each slot's objects and bytes, lifetime.
  previews: config.getObject<PlatformArgs["previews"]>("previews") ?? {
    maxSlots: 20,
    maxObjectsPerSlot: 10,
    ttlHours: 72,
  },
});

const apps = loadApps(platform, config.get("appsDir") ?? fileURLToPath(new URL("./apps", import.meta.url)));

export const controlUrl = platform.controlUrl;
/** Secret: the pull-request workflow reads it to fetch the deployed apps' sources for the comment's diffs. */
export const controlToken = platform.controlToken;
/** Secret: touches only preview slots; the workflow's `dynamic-workers preview deploy` uses it. */
export const previewToken = platform.previewToken;
export const urls = Object.fromEntries(Object.entries(apps).map(([name, app]) => [name, app.url]));
export const versions = Object.fromEntries(Object.entries(apps).map(([name, app]) => [name, app.versionHash]));
