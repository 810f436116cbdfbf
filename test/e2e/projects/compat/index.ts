// Each folder of the compatibility suite's Workers projects (stack config `projectsDir`) as
// `new App(name, { platform, source: folder })`, for test/e2e/compat-projects.test.ts; config
// `extraProject` adds one more folder (the bad-config cases).
import { readdirSync } from "node:fs";
import { join } from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { App, LOCAL_API_BASE_URL, Platform } from "pulumi-dynamic-workers";

const config = new pulumi.Config();
const projectsDir = config.require("projectsDir");

const platform = new Platform("compat", {
  accountId: "local",
  apiBaseUrl: config.get("apiBaseUrl") ?? LOCAL_API_BASE_URL,
  cacheTtlSeconds: 1,
});

const folders = readdirSync(projectsDir)
  .sort()
  .map((name) => join(projectsDir, name));
const extra = config.get("extraProject");
if (extra) folders.push(extra);

const apps = folders.map((source) => new App(source.split("/").pop()!, { platform, source }));

export const controlUrl = platform.controlUrl;
export const versions = Object.fromEntries(apps.map((a, i) => [folders[i]!.split("/").pop()!, a.versionHash]));
