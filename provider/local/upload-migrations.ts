/**
 * Durable Object migrations of one upload, checked and applied as Cloudflare
 * does: only when `old_tag` is the script's current tag, step by step, each
 * step naming classes that exist (rename, delete) or do not yet (new).
 * Pure: returns the namespaces after the upload; the caller commits them.
 */
import type { LocalBinding, LocalMigrationStep, LocalMigrations } from "./metadata-schema.js";
import { CfApiError } from "./errors.js";
import { newId, type StoredNamespace } from "./state.js";

export interface MigrationPlan {
  /** Every namespace (all scripts) once the upload is applied. */
  namespaces: StoredNamespace[];
  /** Namespaces the upload deletes, with their data. */
  deleted: StoredNamespace[];
  /** The script's migration tag after the upload. */
  migrationTag: string | undefined;
}

interface PlanInput {
  script: string;
  namespaces: readonly StoredNamespace[];
  currentTag: string | undefined;
  migrations: LocalMigrations | undefined;
  bindings: readonly LocalBinding[];
  now: string;
}

export function planUploadMigrations(opts: PlanInput): MigrationPlan {
  const { script, migrations } = opts;
  const others = new Map(opts.namespaces.filter((ns) => ns.script !== script).map((ns) => [ns.id, ns]));
  // Class name → namespace, for this script only; edited in step order.
  const own = new Map(opts.namespaces.filter((ns) => ns.script === script).map((ns) => [ns.className, { ...ns }]));
  const deleted: StoredNamespace[] = [];
  if (!migrations) return { namespaces: [...opts.namespaces], deleted, migrationTag: opts.currentTag };

  const current = opts.currentTag ?? "";
  const expected = migrations.old_tag ?? "";
  if (expected !== current) {
    throw new CfApiError(
      "migration_tag_mismatch",
      `Migration tag precondition failed: the upload's old_tag is '${expected}', but the script's current migration tag is '${current}'`,
    );
  }
  for (const [i, step] of (migrations.steps ?? []).entries())
    applyStep(opts, { own, others }, deleted, step, `migrations.steps[${i}]`);
  return {
    namespaces: [...others.values(), ...own.values()],
    deleted,
    migrationTag: migrations.new_tag ?? opts.currentTag,
  };
}

const refuse = (message: string) => new CfApiError("migration_invalid", message);

interface Namespaces {
  /** This script's namespaces by class name. */
  own: Map<string, StoredNamespace>;
  /** Other scripts' namespaces by id. */
  others: Map<string, StoredNamespace>;
}

/** One migration step, applied in Cloudflare's order: new, renamed, transferred, deleted. */
function applyStep(
  opts: PlanInput,
  { own, others }: Namespaces,
  deleted: StoredNamespace[],
  step: LocalMigrationStep,
  at: string,
): void {
  const { script } = opts;
  const create = (className: string, sqlite: boolean, field: string) => {
    if (own.has(className)) {
      throw refuse(
        `${at}.${field}: cannot apply a new-class migration to class '${className}', which already exists in script '${script}'`,
      );
    }
    own.set(className, { id: newId(), name: `${script}_${className}`, script, className, sqlite, createdOn: opts.now });
  };
  for (const c of step.new_classes ?? []) create(c, false, "new_classes");
  for (const c of step.new_sqlite_classes ?? []) create(c, true, "new_sqlite_classes");
  for (const { from, to } of step.renamed_classes ?? []) {
    const ns = own.get(from);
    if (!ns)
      throw refuse(`${at}.renamed_classes: cannot rename class '${from}', which does not exist in script '${script}'`);
    if (own.has(to)) {
      throw refuse(
        `${at}.renamed_classes: cannot rename class '${from}' to '${to}', which already exists in script '${script}'`,
      );
    }
    own.delete(from);
    // The namespace keeps its id, so its objects and their data follow the new name.
    own.set(to, { ...ns, className: to });
  }
  for (const t of step.transferred_classes ?? []) transfer(opts, { own, others }, t, at);
  for (const c of step.deleted_classes ?? []) {
    const ns = own.get(c);
    if (!ns)
      throw refuse(`${at}.deleted_classes: cannot delete class '${c}', which does not exist in script '${script}'`);
    const bound = opts.bindings.find(
      (b) => b.type === "durable_object_namespace" && b.class_name === c && (b.script_name ?? script) === script,
    );
    if (bound) {
      throw new CfApiError(
        "do_binding_invalid",
        `Cannot apply deleted_classes migration to class '${c}' without also removing the binding '${bound.name}' that references it`,
      );
    }
    own.delete(c);
    deleted.push(ns);
  }
}

/**
 * transferred_classes: another script's namespace, with its objects, becomes
 * this script's class `to` (SDK: MigrationStepParam.TransferredClass; docs:
 * durable-objects/reference/durable-objects-migrations, "Transfer migration").
 */
function transfer(
  opts: PlanInput,
  { own, others }: Namespaces,
  t: { from: string; from_script: string; to: string },
  at: string,
): void {
  const source = [...others.values()].find((ns) => ns.script === t.from_script && ns.className === t.from);
  if (!source) {
    throw refuse(
      `${at}.transferred_classes: cannot transfer class '${t.from}' from script '${t.from_script}', which has no such Durable Object class`,
    );
  }
  if (own.has(t.to)) {
    throw refuse(
      `${at}.transferred_classes: cannot transfer into class '${t.to}', which already exists in script '${opts.script}'`,
    );
  }
  others.delete(source.id);
  own.set(t.to, { ...source, script: opts.script, className: t.to, name: `${opts.script}_${t.to}` });
}
