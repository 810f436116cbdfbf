/**
 * Binding kinds Cloudflare accepts that the local target stores without
 * running (KV, R2, D1, queues, …): kept in the script's metadata and listed
 * by GET …/settings, absent from the Worker's env locally.
 */
import type { StoredBinding } from "../metadata-schema.js";
import type { SettingsBinding } from "./types.js";

/** Fields Cloudflare never shows again once uploaded (as for secret_text). */
const SECRET_FIELDS = new Set(["key_base64", "key_jwk"]);

export const storedBinding = {
  check: () => null,
  describe(b: StoredBinding): SettingsBinding {
    return Object.fromEntries(Object.entries(b).filter(([k]) => !SECRET_FIELDS.has(k))) as unknown as SettingsBinding;
  },
  apply: () => {},
};
