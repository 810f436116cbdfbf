// One app with a short secret (stack config `pin`, set with --secret), for
// test/e2e/secrets.test.ts: everything public about it must not give the pin away.
import * as pulumi from "@pulumi/pulumi";
import { App, LOCAL_API_BASE_URL, Platform } from "pulumi-dynamic-workers";

const config = new pulumi.Config();

const platform = new Platform("vault", {
  accountId: "local",
  apiBaseUrl: config.get("apiBaseUrl") ?? LOCAL_API_BASE_URL,
  cacheTtlSeconds: 1,
});

const vault = new App("vault", {
  platform,
  modules: {
    "index.js": {
      type: "js",
      content:
        "export default { fetch(request, env) { return Response.json({ mode: env.MODE, pinLength: env.PIN.length }); } };",
    },
  },
  env: { MODE: "test" },
  secrets: { PIN: config.requireSecret("pin") },
});

export const controlUrl = platform.controlUrl;
export const versionHash = vault.versionHash;
export const url = vault.url;
