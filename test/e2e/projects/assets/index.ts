// One Workers project folder with static assets (stack config `appDir`: a
// folder with wrangler.jsonc, src/index.js and public/), for
// test/e2e/assets.test.ts.
import * as pulumi from "@pulumi/pulumi";
import { App, LOCAL_API_BASE_URL, Platform } from "pulumi-dynamic-workers";

const config = new pulumi.Config();
const platform = new Platform("site", {
  accountId: "local",
  apiBaseUrl: config.get("apiBaseUrl") ?? LOCAL_API_BASE_URL,
  cacheTtlSeconds: 1,
});
const site = new App("site", { platform, source: config.require("appDir") });

export const controlUrl = platform.controlUrl;
export const versionHash = site.versionHash;
