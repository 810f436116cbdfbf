/**
 * durable_object_namespace: a binding to a class that a migration made a
 * namespace of, in this script or (script_name) another. The namespace id
 * is Miniflare's unsafeUniqueKey, so object ids and the SQLite folder
 * (do/<id>/) stay the same across restarts and class renames.
 */
import { CfApiError } from "../errors.js";
import type { StoredNamespace } from "../state.js";
import type { BindingContext, BindingKind, BindingOf } from "./types.js";

function target(b: BindingOf<"durable_object_namespace">, ctx: BindingContext): StoredNamespace | undefined {
  const script = b.script_name ?? ctx.script;
  return ctx.namespaces.find((ns) => ns.script === script && ns.className === b.class_name);
}

export const durableObjectNamespace: BindingKind<"durable_object_namespace"> = {
  check(b, ctx) {
    if (target(b, ctx)) return null;
    const where = b.script_name && b.script_name !== ctx.script ? ` of script '${b.script_name}'` : "";
    return new CfApiError(
      "do_binding_invalid",
      `Cannot create binding '${b.name}' for class '${b.class_name}'${where} because it is not currently configured to implement Durable Objects. ` +
        `Ensure a new_classes or new_sqlite_classes migration has been applied to it.`,
    );
  },
  describe(b, ctx) {
    const ns = target(b, ctx);
    return {
      type: "durable_object_namespace",
      name: b.name,
      class_name: b.class_name,
      ...(b.script_name ? { script_name: b.script_name } : {}),
      ...(b.environment ? { environment: b.environment } : {}),
      ...(ns ? { namespace_id: ns.id } : {}),
    };
  },
  apply(b, worker, ctx) {
    const ns = target(b, ctx);
    // A namespace deleted with its script (delete ?force=true) leaves the binding broken, as on Cloudflare.
    if (!ns) return;
    worker.durableObjects = {
      ...worker.durableObjects,
      [b.name]: {
        className: ns.className,
        ...(ns.script !== ctx.script ? { scriptName: ns.script } : {}),
        useSQLite: ns.sqlite,
        unsafeUniqueKey: ns.id,
      },
    };
  },
};
