/**
 * The host Worker's Durable Object migration history, as tagged steps. An
 * upload sends only the steps after the script's deployed tag; a deployed
 * tag this package does not know (a newer package deployed it, or someone
 * else) is refused, never overwritten.
 */
import type { MigrationStep, Migrations } from "./metadata.js";

export interface TaggedMigration {
  tag: string;
  step: MigrationStep;
}

/** Append only: never edit or reorder a released step. */
export const HOST_MIGRATIONS: readonly TaggedMigration[] = [
  { tag: "v1", step: { new_sqlite_classes: ["Catalog", "AppControl", "AppObject"] } },
];

export const LATEST_HOST_MIGRATION_TAG = HOST_MIGRATIONS[HOST_MIGRATIONS.length - 1]!.tag;

/**
 * The `migrations` field of an upload over a script whose current tag is
 * `deployedTag` (undefined: a new script, or one without migrations), or
 * undefined when it is already up to date.
 */
export function planHostMigrations(
  deployedTag: string | undefined | null,
  history: readonly TaggedMigration[] = HOST_MIGRATIONS,
): Migrations | undefined {
  const latest = history[history.length - 1]?.tag;
  if (!deployedTag) {
    return { new_tag: latest, steps: history.map((m) => m.step) };
  }
  const at = history.findIndex((m) => m.tag === deployedTag);
  if (at === -1) {
    throw new Error(
      `the deployed host script is at migration tag '${deployedTag}', which this package does not know ` +
        `(it knows ${history.map((m) => m.tag).join(", ")}); it was deployed by a newer or different package. ` +
        `Refusing to overwrite it: upgrade pulumi-dynamic-workers, or use another scriptName.`,
    );
  }
  const steps = history.slice(at + 1).map((m) => m.step);
  if (steps.length === 0) return undefined;
  return { old_tag: deployedTag, new_tag: latest, steps };
}
