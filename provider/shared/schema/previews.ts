/**
 * Preview slots: a pull request's changed apps, each served as its own app
 * `<app>--<preview id>` (own AppControl, own objects and databases, own URL),
 * and the preview quota the Platform declares. Runs in Node and in workerd.
 *
 * A slot is a separate app identity, never a version of the production app:
 * every per-app key of the host (AppControl, AppObject `<app>/<name>`, the
 * loader id, usage) holds the slot's name, so nothing a slot does can name a
 * production object. Production app names may not hold "--" (see AppName), so
 * no production app can take a slot's name.
 */
import { z } from "zod";

/** Between an app's name and its preview id in a slot's name. */
export const SLOT_SEPARATOR = "--";

const PREVIEW_ID_RE = /^[a-z0-9](?:[a-z0-9-]{0,30}[a-z0-9])?$/;

/** A preview's id, e.g. `pr-42`: it ends each slot's DNS label, so it is short and DNS-safe. */
export const PreviewId = z
  .string()
  .regex(PREVIEW_ID_RE, {
    message: "must be 1-32 characters of a-z, 0-9 and '-', starting and ending with a letter or digit (e.g. pr-42)",
  })
  .refine((s) => !s.includes(SLOT_SEPARATOR), { message: "must not contain '--'" });

/** The slot of `app` in preview `preview`: a DNS label too, so `<slot>.<appsDomain>` routes. */
export function slotName(app: string, preview: string): string {
  return `${app}${SLOT_SEPARATOR}${preview}`;
}

/** The app and preview of a slot's name, or null for a production app's name. */
export function parseSlotName(name: string): { app: string; preview: string } | null {
  const i = name.indexOf(SLOT_SEPARATOR);
  if (i <= 0) return null;
  return { app: name.slice(0, i), preview: name.slice(i + SLOT_SEPARATOR.length) };
}

/** Why `app` cannot have a slot in `preview` (its name would be over 63 characters), or null. */
export function slotNameProblem(app: string, preview: string): string | null {
  const name = slotName(app, preview);
  return name.length > 63
    ? `the slot name '${name}' is ${name.length} characters; a DNS label takes at most 63 (shorten the preview id)`
    : null;
}

/** What previews may use, all slots of all previews together. */
export const PreviewQuotaConfig = z.strictObject({
  /** Slots (one per changed app per preview) on the platform at once. @default 50 */
  maxSlots: z.number().int().min(0).max(100_000).default(50),
  /** Each slot's maxObjects is at most this. @default 20 */
  maxObjectsPerSlot: z.number().int().min(0).max(1_000_000).default(20),
  /** Each slot's maxStorageBytes is at most this. @default 50_000_000 */
  maxStorageBytesPerSlot: z.number().int().min(0).max(10_000_000_000_000).default(50_000_000),
  /** Hours after its last deploy that the host removes a preview and its data. @default 72 */
  ttlHours: z
    .number()
    .min(0.001)
    .max(24 * 365)
    .default(72),
});
export type PreviewQuotaConfig = z.output<typeof PreviewQuotaConfig>;
export const PREVIEW_QUOTA_DEFAULTS: PreviewQuotaConfig = PreviewQuotaConfig.parse({});

/** What the preview token is derived from: the control token, through HMAC, so it reveals nothing of it. */
const PREVIEW_TOKEN_LABEL = "dynamic-workers/preview-token/1";

/**
 * The preview token of a control token: HMAC-SHA256(controlToken, label) in
 * hex. The host derives it from its CONTROL_TOKEN and the Platform from its
 * output, so no second secret is bound or stored; rotating the control token
 * rotates it.
 */
export async function derivePreviewToken(controlToken: string): Promise<string> {
  const enc = new TextEncoder();
  const key = await crypto.subtle.importKey("raw", enc.encode(controlToken), { name: "HMAC", hash: "SHA-256" }, false, [
    "sign",
  ]);
  const mac = new Uint8Array(await crypto.subtle.sign("HMAC", key, enc.encode(PREVIEW_TOKEN_LABEL)));
  return Array.from(mac, (b) => b.toString(16).padStart(2, "0")).join("");
}
