// The quickstart: a platform on the local target and three AI-written apps,
// each with its own quota. `npm start` runs it; `pulumi preview` shows a change.
import * as pulumi from "@pulumi/pulumi";
import { App, LOCAL_API_BASE_URL, Platform } from "pulumi-dynamic-workers";

const config = new pulumi.Config();

const platform = new Platform("ai-apps", {
  accountId: "local",
  apiBaseUrl: config.get("apiBaseUrl") ?? LOCAL_API_BASE_URL,
  limits: { maxApps: 50, maxQuota: { maxObjects: 100, requestsPerMinute: 60_000 } },
  cacheTtlSeconds: 2,
});

const apps = "examples/quickstart/apps";

const hello = new App("hello", {
  platform,
  source: `${apps}/hello`,
  env: { GREETING: "hello from a dynamic worker" },
  quota: { requestsPerMinute: 600 },
});

const todo = new App("todo", {
  platform,
  source: `${apps}/todo`,
  durableObject: "TodoList",
  quota: { maxObjects: 1, maxStorageBytes: 10_000_000, requestsPerMinute: 600 },
});

const chat = new App("chat", {
  platform,
  source: `${apps}/chat`,
  durableObject: "ChatRoom",
  quota: { maxObjects: 20, maxStorageBytes: 50_000_000, requestsPerMinute: 1200 },
});

export const controlUrl = platform.controlUrl;
export const urls = { hello: hello.url, todo: todo.url, chat: chat.url };
export const versions = { hello: hello.versionHash, todo: todo.versionHash, chat: chat.versionHash };
