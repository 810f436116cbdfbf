// One app whose objects say which version runs them, for test/e2e/rollout.test.ts: stack config `marker`
// is its version (an env var, so a new marker is a new version), `percent` its rollout (none when unset).
import * as pulumi from "@pulumi/pulumi";
import { App, LOCAL_API_BASE_URL, Platform } from "pulumi-dynamic-workers";

const config = new pulumi.Config();

const platform = new Platform("rollouts", {
  accountId: "local",
  apiBaseUrl: config.get("apiBaseUrl") ?? LOCAL_API_BASE_URL,
  cacheTtlSeconds: 0,
});

const SOURCE = `
import { DurableObject } from "cloudflare:workers";
export class C extends DurableObject {
  v() { return this.env.V; }
}
export default { async fetch(request, env) {
  const url = new URL(request.url);
  if (url.pathname === "/many") {
    const from = Number(url.searchParams.get("from")), n = Number(url.searchParams.get("n"));
    const out = [];
    for (let i = from; i < from + n; i++) out.push(await env.C.getByName("o" + i).v());
    return Response.json(out);
  }
  if (env.FAIL) throw new Error("version " + env.V + " is broken");
  return new Response(env.V);
} };`;

const percent = config.getNumber("percent");
const shop = new App("shop", {
  platform,
  modules: { "index.js": { type: "js", content: SOURCE } },
  durableObjects: { C: "C" },
  env: { V: config.get("marker") ?? "A", ...(config.getBoolean("fail") ? { FAIL: "1" } : {}) },
  quota: { maxObjects: 2000 },
  ...(percent !== undefined ? { rollout: { percent } } : {}),
});

export const controlUrl = platform.controlUrl;
export const controlToken = platform.controlToken;
export const versionHash = shop.versionHash;
