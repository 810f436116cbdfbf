/** The answers of the preview routes (routes.ts); shared by the host and its clients. */
import type { AppInfo } from "./responses.js";
import type { PreviewQuotaConfig } from "../schema/index.js";

/** One slot: an app of a preview, served as its own app. */
export interface PreviewSlot {
  preview: string;
  /** The production app it previews. */
  app: string;
  /** Its own app name, `<app>--<preview>`: its objects, its URL. */
  slot: string;
  createdAt: string;
  /** When the host removes the slot and its data, unless the preview is deployed again first. */
  expiresAt: string;
  seeded: boolean;
}

/** `GET /previews`: every slot, the preview quota and how much of it is used. */
export interface PreviewList {
  slots: PreviewSlot[];
  quota: PreviewQuotaConfig;
  /** The host's appsDomain, so clients can write `<slot>.<appsDomain>` URLs. */
  appsDomain: string | null;
}

/** `PUT /previews/:preview/apps/:app` (201 when the slot is new). */
export interface PreviewSlotAnswer {
  slot: PreviewSlot;
  app: AppInfo;
  appsDomain: string | null;
}

/** `POST /previews/:preview/apps/:app/seed`: whether the app's `seed(env)` export ran (once per slot). */
export interface SeedOutcome {
  seeded: boolean;
  /** Why not, when it did not run. */
  reason?: string;
}

/** `DELETE /previews/:preview`: the slots removed, with their objects' databases. */
export interface PreviewDeleted {
  deleted: string;
  slots: string[];
  objects: number;
}
