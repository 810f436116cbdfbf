// Live chat on the local target: one app, a Workers project folder whose
// wrangler.jsonc declares its rooms' Durable Object binding; the platform
// bounds them with the app's quota.
import * as pulumi from "@pulumi/pulumi";
import { App, LOCAL_API_BASE_URL, Platform } from "pulumi-dynamic-workers";

// Optional stack config: apiBaseUrl, the local target's API (default http://127.0.0.1:8787/client/v4).
const apiBaseUrl = new pulumi.Config().get("apiBaseUrl") ?? LOCAL_API_BASE_URL;
const platform = new Platform("live-chat", { accountId: "local", apiBaseUrl });

const chat = new App("live-chat", {
  platform,
  source: "app", // app/wrangler.jsonc: main, compatibility date, durable_objects
  quota: { maxObjects: 20, maxStorageBytes: 20_000_000, requestsPerMinute: 1200 },
});

export const url = chat.url;
export const controlUrl = platform.controlUrl;
