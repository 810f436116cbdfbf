/**
 * The subset of Cloudflare's Workers script-upload metadata this project
 * sends, as zod schemas: the Platform builds uploads from these types and the
 * local target validates uploads with them, so both agree on one contract.
 * Field names are Cloudflare's (snake_case).
 */
import { z } from "zod";

const BindingName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be a JavaScript identifier" });

/** Binding kinds; every switch over them ends in assertNever. */
export const WorkerBinding = z.discriminatedUnion("type", [
  z.strictObject({ type: z.literal("worker_loader"), name: BindingName }),
  z.strictObject({
    type: z.literal("durable_object_namespace"),
    name: BindingName,
    class_name: z.string().min(1),
    /** Another script's class; omitted: this script's own. */
    script_name: z.string().min(1).optional(),
    environment: z.string().optional(),
  }),
  z.strictObject({ type: z.literal("secret_text"), name: BindingName, text: z.string() }),
  z.strictObject({ type: z.literal("plain_text"), name: BindingName, text: z.string() }),
  z.strictObject({ type: z.literal("json"), name: BindingName, json: z.unknown() }),
]);
export type WorkerBinding = z.infer<typeof WorkerBinding>;
export type WorkerBindingType = WorkerBinding["type"];
export const WORKER_BINDING_TYPES: readonly WorkerBindingType[] = [
  "worker_loader",
  "durable_object_namespace",
  "secret_text",
  "plain_text",
  "json",
];

/** One Durable Object migration step. */
export const MigrationStep = z.strictObject({
  new_classes: z.array(z.string()).optional(),
  new_sqlite_classes: z.array(z.string()).optional(),
  renamed_classes: z.array(z.strictObject({ from: z.string(), to: z.string() })).optional(),
  deleted_classes: z.array(z.string()).optional(),
});
export type MigrationStep = z.infer<typeof MigrationStep>;

/** Migrations of one upload: applied only if `old_tag` is the script's current tag. */
export const Migrations = z.strictObject({
  old_tag: z.string().optional(),
  new_tag: z.string().optional(),
  steps: z.array(MigrationStep).optional(),
});
export type Migrations = z.infer<typeof Migrations>;

/**
 * The upload's metadata part. Strict on the fields we send; any other field
 * Cloudflare knows is refused locally so a change in what we send is noticed.
 */
export const ScriptMetadata = z.strictObject({
  main_module: z.string().min(1),
  compatibility_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: "must be YYYY-MM-DD" }),
  compatibility_flags: z.array(z.string()).optional(),
  bindings: z.array(WorkerBinding).optional(),
  migrations: Migrations.optional(),
  /** Binding types kept from the previous upload (e.g. "secret_text"). */
  keep_bindings: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
});
export type ScriptMetadata = z.infer<typeof ScriptMetadata>;

/** Content types of module parts, as Cloudflare reads them. */
export const MODULE_CONTENT_TYPES = {
  esm: "application/javascript+module",
  cjs: "application/javascript",
  text: "text/plain",
  data: "application/octet-stream",
  wasm: "application/wasm",
} as const;
export type UploadModuleKind = keyof typeof MODULE_CONTENT_TYPES;

export function assertNever(x: never, what = "value"): never {
  throw new Error(`unexpected ${what}: ${JSON.stringify(x)}`);
}
