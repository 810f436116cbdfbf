/** Every binding kind the local target runs, in one map; the type makes it exhaustive. */
import type { WorkerBinding, WorkerBindingType } from "../../cloudflare/metadata.js";
import type { LocalBinding, StoredBinding } from "../metadata-schema.js";
import { durableObjectNamespace } from "./durable-object-namespace.js";
import { jsonBinding } from "./json.js";
import { plainText } from "./plain-text.js";
import { secretText } from "./secret-text.js";
import { storedBinding } from "./stored.js";
import type { BindingContext, BindingKind, SettingsBinding } from "./types.js";
import type { CfApiError } from "../errors.js";
import type { WorkerOptions } from "miniflare";
import { workerLoader } from "./worker-loader.js";

export type { BindingContext, BindingKind, SettingsBinding } from "./types.js";

export const BINDING_KINDS: { readonly [K in WorkerBindingType]: BindingKind<K> } = {
  worker_loader: workerLoader,
  durable_object_namespace: durableObjectNamespace,
  secret_text: secretText,
  plain_text: plainText,
  json: jsonBinding,
};

/** Whether the local target runs this binding (otherwise it is stored only). */
export function isRunBinding(binding: LocalBinding): binding is WorkerBinding {
  return Object.hasOwn(BINDING_KINDS, binding.type);
}

/** A translator that takes any binding: what callers holding a mixed list use. */
export interface AnyBindingKind {
  check(binding: LocalBinding, ctx: BindingContext): CfApiError | null;
  describe(binding: LocalBinding, ctx: BindingContext): SettingsBinding;
  apply(binding: LocalBinding, worker: WorkerOptions, ctx: BindingContext): void;
}

/** The translator of one binding: its kind's, or the stored one for kinds not run. */
export function bindingKind(binding: LocalBinding): AnyBindingKind {
  return (isRunBinding(binding) ? BINDING_KINDS[binding.type] : storedBinding) as unknown as AnyBindingKind;
}

export type { LocalBinding, StoredBinding };
