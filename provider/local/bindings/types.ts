/**
 * One translator per binding kind (STYLE: one file per kind, listed in one
 * map): what Cloudflare refuses, what GET …/settings shows, and what the
 * kind becomes in Miniflare's worker options.
 */
import type Cloudflare from "cloudflare";
import type { WorkerOptions } from "miniflare";
import type { WorkerBinding, WorkerBindingType } from "../../cloudflare/metadata.js";
import type { CfApiError } from "../errors.js";
import type { StoredNamespace } from "../state.js";

export type BindingOf<K extends WorkerBindingType> = Extract<WorkerBinding, { type: K }>;

/** A binding as GET …/settings reports it: the SDK's shape, plus worker_loader that the SDK lacks. */
export type SettingsBinding =
  | NonNullable<Cloudflare.Workers.Scripts.ScriptAndVersionSettingGetResponse["bindings"]>[number]
  | { type: "worker_loader"; name: string };

export interface BindingContext {
  /** The script that holds the binding. */
  script: string;
  /** Every namespace as it is once this upload's migrations are applied. */
  namespaces: readonly StoredNamespace[];
}

export interface BindingKind<K extends WorkerBindingType> {
  /** The refusal Cloudflare would answer for this binding, if any. */
  check(binding: BindingOf<K>, ctx: BindingContext): CfApiError | null;
  /** The binding as the settings route reports it (never a secret's text). */
  describe(binding: BindingOf<K>, ctx: BindingContext): SettingsBinding;
  /** Adds the binding to the script's Miniflare worker options. */
  apply(binding: BindingOf<K>, worker: WorkerOptions, ctx: BindingContext): void;
}

/** Miniflare's `bindings` turns a string into a text binding and anything else into a JSON one. */
export function setPlainBinding(worker: WorkerOptions, name: string, value: unknown): void {
  worker.bindings = { ...worker.bindings, [name]: value as never };
}
