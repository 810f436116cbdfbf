/**
 * The preview routes' handlers: a slot is made (against the preview quota),
 * seeded, listed and removed with its data here; its code goes up through
 * the ordinary app routes under the slot's name (see preview-scope.ts).
 */
import { ControlError, unwrap } from "../../shared/control/errors.js";
import {
  effectiveQuota,
  quotaOverCeiling,
  slotName,
  slotNameProblem,
  type PlatformConfig,
  type QuotaInput,
} from "../../shared/schema/index.js";
import { Reply, type ControlHandlers } from "./route-match.js";
import { appControlStub, catalogStub, platformConfig } from "../env.js";
import { forgetApp } from "../data-plane/version-cache.js";
import { removeAppData } from "../objects/preview-slots.js";

type PreviewHandlers = Pick<ControlHandlers, "listPreviews" | "putPreviewApp" | "seedPreviewApp" | "deletePreview">;

/** A slot's quota: the app's own, with objects and bytes lowered to the preview quota's per-slot caps. */
export function slotQuota(own: QuotaInput, config: PlatformConfig): QuotaInput {
  const q = effectiveQuota(own, config);
  return {
    ...own,
    maxObjects: Math.min(q.maxObjects, config.previews.maxObjectsPerSlot),
    maxStorageBytes: Math.min(q.maxStorageBytes, config.previews.maxStorageBytesPerSlot),
  };
}

function slotOrRefuse(app: string, preview: string): string {
  const problem = slotNameProblem(app, preview);
  if (problem) throw new ControlError("invalid_request", problem, { issues: [{ path: "preview", message: problem }] });
  return slotName(app, preview);
}

export const previewHandlers: PreviewHandlers = {
  listPreviews: async ({ env }) => ({
    slots: await catalogStub(env).previewSlots(),
    quota: platformConfig(env).previews,
    appsDomain: platformConfig(env).appsDomain ?? null,
  }),

  putPreviewApp: async ({ env, params: { preview, previewApp: app }, body: settings }) => {
    const slot = slotOrRefuse(app, preview);
    const config = platformConfig(env);
    const quota = slotQuota(settings.quota, config);
    const over = quotaOverCeiling(effectiveQuota(quota, config), config.limits.maxQuota);
    if (over.length) {
      throw new ControlError("limit_exceeded", over.map((i) => `${i.path}: ${i.message}`).join("; "), { issues: over });
    }
    const reserved = unwrap(await catalogStub(env).reservePreviewSlot(preview, app, slot, config.previews));
    const r = unwrap(await appControlStub(env, slot).putApp(slot, { ...settings, quota }));
    forgetApp(slot);
    const answer = { slot: reserved.slot, app: r.app, appsDomain: config.appsDomain ?? null };
    return reserved.created ? new Reply(answer, 201) : answer;
  },

  seedPreviewApp: async ({ env, params: { preview, previewApp: app } }) => {
    const slot = slotOrRefuse(app, preview);
    const catalog = catalogStub(env);
    const known = await catalog.previewSlot(slot);
    if (!known) throw new ControlError("not_found", `no preview slot '${slot}'`);
    if (known.seeded) return { seeded: false, reason: "already seeded (the hook runs once per slot)" };
    const r = unwrap(await appControlStub(env, slot).seed());
    await catalog.markPreviewSeeded(slot);
    return r;
  },

  deletePreview: async ({ env, params: { preview } }) => {
    const catalog = catalogStub(env);
    const slots = await catalog.previewSlots(preview);
    if (slots.length === 0) throw new ControlError("not_found", `no preview '${preview}' (it has no slots)`);
    let objects = 0;
    for (const s of slots) {
      objects += (await removeAppData(env, s.slot)).objects;
      await catalog.releasePreviewSlot(s.slot);
    }
    return { deleted: preview, slots: slots.map((s) => s.slot), objects };
  },
};
