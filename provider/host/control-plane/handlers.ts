/**
 * host/control-plane/: the control API under /_control/v1/: auth.ts, route-match.ts, handlers.ts (this file).
 *
 * The control plane, under /_control/v1/: one handler per route of the
 * shared table (shared/control/routes.ts), which route-match.ts matches and
 * validates for them. Every call needs `Authorization: Bearer
 * <CONTROL_TOKEN>`, and a refusal changes nothing stored.
 */
import { ControlError, unwrap } from "../../shared/control/errors.js";
import { buildVersion, sha256Hex } from "../../shared/version-hash.js";
import { AppName, effectiveQuota, quotaOverCeiling } from "../../shared/schema/index.js";
import type { RouteBody } from "../../shared/control/routes.js";
import { Reply, dispatch, parse, type ControlHandlers } from "./route-match.js";
import { previewHandlers } from "./preview-handlers.js";
import { previewRefusal, tokenScope } from "./preview-scope.js";
import { appControlStub, appObjectStub, catalogStub, platformConfig } from "../env.js";
import { errorResponse, readBytes } from "../http.js";
import { MODULE_CHUNK_BYTES } from "../../shared/control/requests.js";
import { forgetApp } from "../data-plane/version-cache.js";
import { assetContents } from "./asset-upload.js";
import { fireScheduled } from "./fire-scheduled.js";

export const CONTROL_PREFIX = "/_control/";

const createdOr200 = <T>(body: T, created: boolean) => new Reply(body, created ? 201 : 200);

const handlers: ControlHandlers = {
  getPlatform: async ({ env }) => ({ platform: { config: platformConfig(env), apps: await catalogStub(env).count() } }),

  listApps: async ({ env, query }) => catalogStub(env).list(query.limit, query.cursor),

  putApp: async ({ env, params: { app }, body: settings }) => {
    // A preview slot's name ('--') is made only through PUT /previews/:preview/apps/:app, against the preview quota.
    parse(AppName, app, "app");
    const config = platformConfig(env);
    const over = quotaOverCeiling(effectiveQuota(settings.quota, config), config.limits.maxQuota);
    if (over.length) {
      throw new ControlError("limit_exceeded", over.map((i) => `${i.path}: ${i.message}`).join("; "), { issues: over });
    }
    unwrap(await catalogStub(env).register(app, config.limits.maxApps));
    const r = unwrap(await appControlStub(env, app).putApp(app, settings));
    await catalogStub(env).setCrons(app, settings.crons);
    forgetApp(app);
    return createdOr200({ app: r.app }, r.created);
  },

  getApp: async ({ env, params: { app } }) => ({ app: unwrap(await appControlStub(env, app).info()) }),

  deleteApp: async ({ env, params: { app }, query: { data } }) => {
    parse(AppName, app, "app");
    const control = appControlStub(env, app);
    const { existed, objects } = await control.remove();
    forgetApp(app);
    await catalogStub(env).unregister(app);
    if (data === "delete") {
      // Databases first, then the registry, so a failed delete can be retried.
      for (let i = 0; i < objects.length; i += 16) {
        await Promise.all(objects.slice(i, i + 16).map((name) => appObjectStub(env, app, name).destroy()));
      }
      await control.purge();
    }
    if (!existed && (data === "retain" || objects.length === 0)) {
      throw new ControlError("not_found", `no app named '${app}'`);
    }
    return { deleted: app, data, objects: objects.length };
  },

  missingModules: async ({ env, params: { app }, body }) => ({
    missing: await appControlStub(env, app).missingModules(body.hashes),
  }),

  missingAssets: async ({ env, params: { app }, body }) => ({
    missing: await appControlStub(env, app).missingModules(body.hashes),
  }),

  putAssets: async ({ env, params: { app }, body }) =>
    unwrap(await appControlStub(env, app).putAssets(await assetContents(body.files))),

  putModuleChunk: async ({ env, request, params: { app, sha256 }, query: { chunk, of } }) => {
    const bytes = await readBytes(request, MODULE_CHUNK_BYTES);
    return unwrap(await appControlStub(env, app).putModuleChunk(sha256, chunk, of, bytes));
  },

  putVersion: async ({ env, params: { app }, body: spec }) => {
    if (Object.keys(spec.secrets).length > 0 && !env.SECRETS_KEY) {
      throw new ControlError(
        "secrets_disabled",
        "this host has no SECRETS_KEY, so it cannot take a version with secrets; upgrade the platform (pulumi up) first",
        { issues: [{ path: "secrets", message: "needs a host with a SECRETS_KEY" }] },
      );
    }
    const { manifest, versionHash, blobs, secrets } = await buildVersion(spec, { secretsKey: env.SECRETS_KEY });
    const r = unwrap(await appControlStub(env, app).putVersion(versionHash, manifest, blobs, secrets));
    return createdOr200(r, r.created);
  },

  listVersions: async ({ env, params: { app } }) => ({ versions: unwrap(await appControlStub(env, app).versions()) }),

  getVersion: async ({ env, params: { app, hash }, query }) => ({
    version: unwrap(await appControlStub(env, app).version(hash, query.contents !== "false")),
  }),

  putSources: async ({ env, params: { app, hash }, body }) => {
    const { shas, contents } = await sourceDigests(body.files);
    return unwrap(await appControlStub(env, app).putSources(hash, shas, contents));
  },

  getSources: async ({ env, params: { app, hash } }) => unwrap(await appControlStub(env, app).versionSources(hash)),

  deploy: async ({ env, params: { app }, body }) => {
    const r = unwrap(await appControlStub(env, app).deploy(body.versionHash, body.expectedCurrent));
    forgetApp(app);
    return r;
  },

  rollback: async ({ env, params: { app }, body }) => {
    const r = unwrap(await appControlStub(env, app).rollback(body.versionHash, body.expectedCurrent));
    forgetApp(app);
    return r;
  },

  rollout: async ({ env, params: { app }, body }) => {
    const r = unwrap(await appControlStub(env, app).rollout(body));
    forgetApp(app);
    return r;
  },

  errors: async ({ env, params: { app } }) => {
    const control = appControlStub(env, app);
    unwrap(await control.info());
    return { errors: await control.errors() };
  },

  usage: async ({ env, params: { app } }) => ({ usage: unwrap(await appControlStub(env, app).usage()) }),

  logs: async ({ env, params: { app } }) => ({ logs: unwrap(await appControlStub(env, app).logs()) }),

  ...previewHandlers,

  runScheduled: async ({ env, ctx, params: { app }, body }) => ({
    run: await fireScheduled(env, ctx, app, body),
  }),
};

/** Each source file's sha256, and the bytes of those sent with content. */
async function sourceDigests(files: RouteBody<"putSources">["files"]) {
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
  return { shas, contents };
}

export async function handleControl(request: Request, env: Env, ctx: ExecutionContext): Promise<Response> {
  try {
    if (!env.CONTROL_TOKEN) {
      throw new ControlError("control_disabled", "the control API is disabled: the host has no CONTROL_TOKEN");
    }
    const scope = await tokenScope(request, env);
    if (scope === null) {
      throw new ControlError("unauthorized", "a valid 'Authorization: Bearer <control token>' header is required");
    }
    return await dispatch(request, env, ctx, handlers, scope === "preview" ? previewRefusal : undefined);
  } catch (e) {
    if (e instanceof ControlError) {
      return errorResponse(e.toBody(), e.code === "unauthorized" ? { "www-authenticate": "Bearer" } : {});
    }
    console.error("control plane error", e);
    return errorResponse({ code: "internal", message: e instanceof Error ? e.message : String(e) });
  }
}
