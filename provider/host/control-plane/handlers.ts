/**
 * The control plane, under /_control/v1/. Every call needs
 * `Authorization: Bearer <CONTROL_TOKEN>`; every body is validated with the
 * shared schemas, and a refusal changes nothing stored.
 */
import { z } from "zod";
import { ControlError, unwrap } from "../../shared/control/errors.js";
import { buildVersion, sha256Hex } from "../../shared/version-hash.js";
import {
  AppName,
  AppSettingsInput,
  AppVersionSpec,
  DataOnDelete,
  Sha256,
  VersionSourcesRequest,
  effectiveQuota,
  formatIssues,
  quotaOverCeiling,
} from "../../shared/schema/index.js";
import { DeployRequest, ListQuery, MissingModulesRequest, RollbackRequest } from "../../shared/control/requests.js";
import { isAuthorized } from "./auth.js";
import { appControlStub, appObjectStub, catalogStub, platformConfig } from "../env.js";
import { errorResponse, json, readJson } from "../http.js";
import { forgetApp } from "../data-plane/version-cache.js";

export const CONTROL_PREFIX = "/_control/";
const V1 = "/_control/v1";

type Handler = (c: Call) => Promise<Response>;
interface Call {
  request: Request;
  env: Env;
  url: URL;
  params: Record<string, string>;
}

function parse<S extends z.ZodType>(schema: S, value: unknown, prefix = ""): z.output<S> {
  const r = schema.safeParse(value);
  if (!r.success) {
    const issues = formatIssues(r.error, prefix);
    throw new ControlError("invalid_request", `invalid ${prefix || "request"}: ${issues.map((i) => `${i.path}: ${i.message}`).join("; ")}`, {
      issues,
    });
  }
  return r.data;
}

const appParam = (c: Call) => parse(AppName, c.params.app, "app");

const routes: { method: string; pattern: RegExp; keys: string[]; handler: Handler }[] = [];
function route(method: string, path: string, handler: Handler): void {
  const keys: string[] = [];
  const pattern = new RegExp(
    `^${V1}${path.replace(/:(\w+)/g, (_, k: string) => {
      keys.push(k);
      return "([^/]+)";
    })}$`,
  );
  routes.push({ method, pattern, keys, handler });
}

route("GET", "/platform", async ({ env }) => {
  const config = platformConfig(env);
  return json({ platform: { config, apps: await catalogStub(env).count() } });
});

route("GET", "/apps", async ({ env, url }) => {
  const q = parse(ListQuery, Object.fromEntries(url.searchParams), "query");
  return json(await catalogStub(env).list(q.limit, q.cursor));
});

route("PUT", "/apps/:app", async (c) => {
  const app = appParam(c);
  const settings = parse(AppSettingsInput, await readJson(c.request));
  const config = platformConfig(c.env);
  const over = quotaOverCeiling(effectiveQuota(settings.quota, config), config.limits.maxQuota);
  if (over.length) {
    throw new ControlError("limit_exceeded", over.map((i) => `${i.path}: ${i.message}`).join("; "), { issues: over });
  }
  unwrap(await catalogStub(c.env).register(app, config.limits.maxApps));
  const r = unwrap(await appControlStub(c.env, app).putApp(app, settings));
  forgetApp(app);
  return json({ app: r.app }, r.created ? 201 : 200);
});

route("GET", "/apps/:app", async (c) => {
  const app = appParam(c);
  return json({ app: unwrap(await appControlStub(c.env, app).info()) });
});

route("DELETE", "/apps/:app", async (c) => {
  const app = appParam(c);
  const data = parse(DataOnDelete, c.url.searchParams.get("data") ?? "retain", "data");
  const control = appControlStub(c.env, app);
  const { existed, objects } = await control.remove();
  forgetApp(app);
  await catalogStub(c.env).unregister(app);
  if (data === "delete") {
    // Databases first, then the registry, so a failed delete can be retried.
    for (let i = 0; i < objects.length; i += 16) {
      await Promise.all(objects.slice(i, i + 16).map((name) => appObjectStub(c.env, app, name).destroy()));
    }
    await control.purge();
  }
  if (!existed && (data === "retain" || objects.length === 0)) {
    throw new ControlError("not_found", `no app named '${app}'`);
  }
  return json({ deleted: app, data, objects: objects.length });
});

route("POST", "/apps/:app/modules/missing", async (c) => {
  const app = appParam(c);
  const { hashes } = parse(MissingModulesRequest, await readJson(c.request));
  return json({ missing: await appControlStub(c.env, app).missingModules(hashes) });
});

route("POST", "/apps/:app/versions", async (c) => {
  const app = appParam(c);
  const spec = parse(AppVersionSpec, await readJson(c.request));
  const { manifest, versionHash, blobs } = await buildVersion(spec);
  const r = unwrap(await appControlStub(c.env, app).putVersion(versionHash, manifest, blobs));
  return json(r, r.created ? 201 : 200);
});

route("GET", "/apps/:app/versions", async (c) => {
  const app = appParam(c);
  return json({ versions: unwrap(await appControlStub(c.env, app).versions()) });
});

route("GET", "/apps/:app/versions/:hash", async (c) => {
  const app = appParam(c);
  const hash = parse(Sha256, c.params.hash, "versionHash");
  const withContents = c.url.searchParams.get("contents") !== "false";
  return json({ version: unwrap(await appControlStub(c.env, app).version(hash, withContents)) });
});

route("PUT", "/apps/:app/versions/:hash/sources", async (c) => {
  const app = appParam(c);
  const hash = parse(Sha256, c.params.hash, "versionHash");
  const { files } = parse(VersionSourcesRequest, await readJson(c.request));
  const shas: Record<string, string> = {};
  const contents: Record<string, Uint8Array> = {};
  for (const [path, f] of Object.entries(files)) {
    if (f.content === undefined) {
      shas[path] = f.sha256!;
      continue;
    }
    const bytes = new TextEncoder().encode(f.content);
    shas[path] = await sha256Hex(bytes);
    contents[shas[path]] = bytes;
  }
  return json(unwrap(await appControlStub(c.env, app).putSources(hash, shas, contents)));
});

route("GET", "/apps/:app/versions/:hash/sources", async (c) => {
  const app = appParam(c);
  const hash = parse(Sha256, c.params.hash, "versionHash");
  return json(unwrap(await appControlStub(c.env, app).versionSources(hash)));
});

route("POST", "/apps/:app/deploy", async (c) => {
  const app = appParam(c);
  const body = parse(DeployRequest, await readJson(c.request));
  const r = unwrap(await appControlStub(c.env, app).deploy(body.versionHash, body.expectedCurrent));
  forgetApp(app);
  return json(r);
});

route("POST", "/apps/:app/rollback", async (c) => {
  const app = appParam(c);
  const body = parse(RollbackRequest, await readJson(c.request));
  const r = unwrap(await appControlStub(c.env, app).rollback(body.versionHash, body.expectedCurrent));
  forgetApp(app);
  return json(r);
});

route("GET", "/apps/:app/errors", async (c) => {
  const app = appParam(c);
  const control = appControlStub(c.env, app);
  unwrap(await control.info());
  return json({ errors: await control.errors() });
});

route("GET", "/apps/:app/usage", async (c) => {
  const app = appParam(c);
  return json({ usage: unwrap(await appControlStub(c.env, app).usage()) });
});

route("GET", "/apps/:app/logs", async (c) => {
  const app = appParam(c);
  return json({ logs: unwrap(await appControlStub(c.env, app).logs()) });
});

export async function handleControl(request: Request, env: Env): Promise<Response> {
  try {
    if (!env.CONTROL_TOKEN) {
      throw new ControlError("control_disabled", "the control API is disabled: the host has no CONTROL_TOKEN");
    }
    if (!(await isAuthorized(request, env.CONTROL_TOKEN))) {
      throw new ControlError("unauthorized", "a valid 'Authorization: Bearer <control token>' header is required");
    }
    const url = new URL(request.url);
    let allowed: string[] = [];
    for (const r of routes) {
      const m = r.pattern.exec(url.pathname);
      if (!m) continue;
      if (r.method !== request.method) {
        allowed.push(r.method);
        continue;
      }
      const params: Record<string, string> = {};
      r.keys.forEach((k, i) => (params[k] = decodeURIComponent(m[i + 1]!)));
      return await r.handler({ request, env, url, params });
    }
    if (allowed.length) {
      throw new ControlError("method_not_allowed", `${request.method} is not allowed here; use ${allowed.join(", ")}`);
    }
    throw new ControlError("not_found", `no control route ${request.method} ${url.pathname}`);
  } catch (e) {
    if (e instanceof ControlError) {
      return errorResponse(e.toBody(), e.code === "unauthorized" ? { "www-authenticate": "Bearer" } : {});
    }
    console.error("control plane error", e);
    return errorResponse({ code: "internal", message: e instanceof Error ? e.message : String(e) });
  }
}
