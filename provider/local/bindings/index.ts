/** Every binding kind the local target runs, in one map; the type makes it exhaustive. */
import type { WorkerBinding, WorkerBindingType } from "../../cloudflare/metadata.js";
import { durableObjectNamespace } from "./durable-object-namespace.js";
import { jsonBinding } from "./json.js";
import { plainText } from "./plain-text.js";
import { secretText } from "./secret-text.js";
import type { BindingKind } from "./types.js";
import { workerLoader } from "./worker-loader.js";

export type { BindingContext, BindingKind, SettingsBinding } from "./types.js";

export const BINDING_KINDS: { readonly [K in WorkerBindingType]: BindingKind<K> } = {
  worker_loader: workerLoader,
  durable_object_namespace: durableObjectNamespace,
  secret_text: secretText,
  plain_text: plainText,
  json: jsonBinding,
};

/** The translator of one binding, typed by its kind. */
export function bindingKind<B extends WorkerBinding>(binding: B): BindingKind<B["type"]> {
  return BINDING_KINDS[binding.type] as unknown as BindingKind<B["type"]>;
}
