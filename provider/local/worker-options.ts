/**
 * A stored script as Miniflare worker options: its modules from the state
 * folder, its compatibility settings, each binding through its kind's
 * translator, and every namespace it implements (bound or not), so workerd
 * serves them all as Cloudflare would.
 */
import type { WorkerOptions } from "miniflare";
import { bindingKind, type BindingContext } from "./bindings/index.js";
import type { StoredNamespace, StoredScript } from "./state.js";
import { runtimeModuleType } from "./upload.js";

export function workerOptions(
  script: StoredScript,
  namespaces: readonly StoredNamespace[],
  readModule: (sha256: string) => Uint8Array,
): WorkerOptions {
  const modules = [];
  // Miniflare takes the first module as the main one.
  const ordered = [...script.modules].sort(
    (a, b) => Number(b.name === script.metadata.main_module) - Number(a.name === script.metadata.main_module),
  );
  for (const m of ordered) {
    const type = runtimeModuleType(m.contentType);
    if (type === null) continue;
    // Miniflare wants a relative path plus contents (FACTS.md); the name is the module specifier.
    modules.push({ type, path: m.name, contents: readModule(m.sha256) });
  }
  const worker: WorkerOptions = {
    name: script.name,
    modules,
    compatibilityDate: script.metadata.compatibility_date,
    compatibilityFlags: script.metadata.compatibility_flags ?? [],
  };
  const ctx: BindingContext = { script: script.name, namespaces };
  for (const binding of script.metadata.bindings ?? []) bindingKind(binding).apply(binding, worker, ctx);
  // Classes of this script that a binding already declares to Miniflare.
  const bound = new Set(
    (script.metadata.bindings ?? []).flatMap((b) =>
      b.type === "durable_object_namespace" && (b.script_name ?? script.name) === script.name ? [b.class_name] : [],
    ),
  );
  worker.additionalUnboundDurableObjects = namespaces
    .filter((ns) => ns.script === script.name && !bound.has(ns.className))
    .map((ns) => ({ className: ns.className, useSQLite: ns.sqlite, unsafeUniqueKey: ns.id }));
  return worker;
}
