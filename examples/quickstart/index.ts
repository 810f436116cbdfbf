// The quickstart: a platform on the local target and three AI-written apps,
// each with its own quota. `npm start` runs it; `pulumi preview` shows a change.
// Optional stack config (used by the end-to-end tests and benchmarks):
//   apiBaseUrl  the local target's API, default http://127.0.0.1:8787/client/v4
//   appsDir     where the app folders are, default ./apps beside this file
//   names       { hello?, todo?, chat? }: the apps' names on the platform
//   quotas      { hello?, todo?, chat? }: quota fields over the ones below
//   settings    { hello?, todo?, chat? }: more App args (outbound, dataOnDelete, tags, compatibilityDate)
//   extraApps   a number of extra copies of hello, named extra-<i>
import * as pulumi from "@pulumi/pulumi";
import { fileURLToPath } from "node:url";
import { App, LOCAL_API_BASE_URL, Platform, type AppArgs } from "pulumi-dynamic-workers";

type QuotaFields = { maxObjects?: number; maxStorageBytes?: number; requestsPerMinute?: number };
type Settings = Pick<AppArgs, "outbound" | "dataOnDelete" | "tags" | "compatibilityDate">;

const config = new pulumi.Config();
const appsDir = config.get("appsDir") ?? fileURLToPath(new URL("./apps", import.meta.url));
const names = config.getObject<Record<string, string>>("names") ?? {};
const quotas = config.getObject<Record<string, QuotaFields>>("quotas") ?? {};
const settings = config.getObject<Record<string, Settings>>("settings") ?? {};

const platform = new Platform("ai-apps", {
  accountId: "local",
  apiBaseUrl: config.get("apiBaseUrl") ?? LOCAL_API_BASE_URL,
  limits: { maxApps: 500, maxQuota: { maxObjects: 100, requestsPerMinute: 60_000 } },
  cacheTtlSeconds: 1,
});

const hello = new App("hello", {
  platform,
  name: names.hello ?? "hello",
  source: `${appsDir}/hello`,
  env: { GREETING: "hello from a dynamic worker" },
  quota: { requestsPerMinute: 600, ...quotas.hello },
  ...settings.hello,
});

const todo = new App("todo", {
  platform,
  name: names.todo ?? "todo",
  source: `${appsDir}/todo`,
  durableObject: "TodoList",
  quota: { maxObjects: 1, maxStorageBytes: 10_000_000, requestsPerMinute: 600, ...quotas.todo },
  ...settings.todo,
});

const chat = new App("chat", {
  platform,
  name: names.chat ?? "chat",
  source: `${appsDir}/chat`,
  durableObject: "ChatRoom",
  quota: { maxObjects: 20, maxStorageBytes: 50_000_000, requestsPerMinute: 1200, ...quotas.chat },
  ...settings.chat,
});

for (let i = 0; i < (config.getNumber("extraApps") ?? 0); i++) {
  new App(`extra-${i}`, { platform, source: `${appsDir}/hello`, env: { GREETING: `extra ${i}` } });
}

export const controlUrl = platform.controlUrl;
// A secret output: `dynamic-workers apps` reads it (pulumi stack output controlToken --show-secrets).
export const controlToken = platform.controlToken;
// A secret output that touches only preview slots: `dynamic-workers preview deploy` reads it.
export const previewToken = platform.previewToken;
export const urls = { hello: hello.url, todo: todo.url, chat: chat.url };
export const versions = { hello: hello.versionHash, todo: todo.versionHash, chat: chat.versionHash };
