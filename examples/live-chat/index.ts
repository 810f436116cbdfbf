// Live chat on the local target: one app, its rooms as Durable Objects
// under a declared binding, each room bounded by the app's quota.
import { App, LOCAL_API_BASE_URL, Platform } from "pulumi-dynamic-workers";

const platform = new Platform("live-chat", { accountId: "local", apiBaseUrl: LOCAL_API_BASE_URL });

const chat = new App("live-chat", {
  platform,
  source: "app",
  durableObjects: { ROOMS: "ChatRoom" },
  quota: { maxObjects: 20, maxStorageBytes: 20_000_000, requestsPerMinute: 1200 },
});

export const url = chat.url;
