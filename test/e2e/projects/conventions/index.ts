// A platform and an app, for test/e2e/conventions.test.ts. Without config
// `inputs` and `importNotes` it is the program the stack fixture (test/fixtures/state/
// conventions-0.2.0.json) was made with by version 0.2.0, whose Platform
// named its script "dynamic-workers" and whose Apps had no parent.
import * as pulumi from "@pulumi/pulumi";
import { App, LOCAL_API_BASE_URL, Platform } from "pulumi-dynamic-workers";

const config = new pulumi.Config();

const platform = new Platform("ai-apps", {
  accountId: "local",
  apiBaseUrl: config.get("apiBaseUrl") ?? LOCAL_API_BASE_URL,
  cacheTtlSeconds: 1,
});

// `pulumi up` with config `importNotes` (the id: the app's name on the platform) adopts an app the host has.
const importNotes = config.get("importNotes");
const notes = new App(
  "notes",
  {
    platform,
    modules: {
      "index.js": {
        type: "js",
        content: "export default { fetch(request, env) { return Response.json({ greeting: env.GREETING }); } };",
      },
    },
    env: { GREETING: config.get("greeting") ?? "hello" },
  },
  importNotes ? { import: importNotes } : {},
);

// With config `inputs`: an App whose arguments are other resources' outputs. The namespace id is
// unknown until the host exists, so a first preview checks the app with its env unknown.
const echo = config.getBoolean("inputs")
  ? new App("echo", {
      platform,
      name: pulumi.output("echo"),
      source: pulumi.output(`${config.require("appsDir")}/hello`),
      env: { CATALOG: platform.namespaceIds.apply((ids) => ids.CATALOG ?? "none"), SCRIPT: platform.scriptName },
      quota: pulumi.output({ requestsPerMinute: config.getNumber("rpm") ?? 600 }),
    })
  : undefined;

export const controlUrl = platform.controlUrl;
export const scriptName = platform.scriptName;
export const versions = { notes: notes.versionHash, ...(echo ? { echo: echo.versionHash } : {}) };
