/**
 * The script-upload metadata Cloudflare accepts, as the local target reads
 * it: a superset of what the Platform sends (cloudflare/metadata.ts).
 * Reference for every field and binding kind: the `cloudflare` SDK 7.3's
 * `ScriptUpdateParams.Metadata` (resources/workers/scripts/scripts.d.ts) and
 * `SingleStepMigrationParam` / `MigrationStepParam` (resources/workers/workers.d.ts).
 * Kinds and fields the local target does not run are validated and stored,
 * and reported back by the settings routes.
 */
import { z } from "zod";
import { WorkerBinding } from "../cloudflare/metadata.js";

const BindingName = z.string().regex(/^[A-Za-z_][A-Za-z0-9_]*$/, { message: "must be a JavaScript identifier" });
const str = z.string().min(1);

/**
 * Binding kinds stored but not run locally, each with the fields the SDK
 * marks required (optional ones are kept as sent). SDK: the
 * `WorkersBindingKind*` interfaces of ScriptUpdateParams.Metadata.
 */
const STORED_KINDS = {
  ai: {},
  ai_search: { instance_name: str },
  ai_search_namespace: { namespace: str },
  analytics_engine: { dataset: str },
  artifacts: { namespace: str },
  assets: {},
  browser: {},
  d1: { database_id: str },
  data_blob: { part: str },
  dispatch_namespace: { namespace: str },
  flagship: { app_id: str },
  hyperdrive: { id: str },
  images: {},
  k2: { stream: str },
  kv_namespace: { namespace_id: str },
  media: {},
  messaging: { namespace: str },
  mtls_certificate: { certificate_id: str },
  pipelines: { pipeline: str },
  queue: { queue_name: str },
  r2_bucket: { bucket_name: str },
  ratelimit: {
    namespace_id: str,
    simple: z.looseObject({ limit: z.number(), period: z.number() }),
  },
  secret_key: {
    algorithm: z.unknown(),
    format: z.enum(["raw", "pkcs8", "spki", "jwk"]),
    usages: z.array(z.string()),
  },
  secrets_store_secret: { secret_name: str, store_id: str },
  send_email: {},
  service: { service: str },
  text_blob: { part: str },
  vectorize: { index_name: str },
  version_metadata: {},
  vpc_network: {},
  vpc_service: { service_id: str },
  wasm_module: { part: str },
  workflow: { workflow_name: str },
} as const;
export type StoredBindingType = keyof typeof STORED_KINDS;
export const STORED_BINDING_TYPES = Object.keys(STORED_KINDS) as StoredBindingType[];

/** A binding of a kind the local target stores without running it. */
export interface StoredBinding {
  type: StoredBindingType;
  name: string;
  [field: string]: unknown;
}

const STORED_SCHEMAS = Object.fromEntries(
  STORED_BINDING_TYPES.map((type) => [
    type,
    z.looseObject({ type: z.literal(type), name: BindingName, ...STORED_KINDS[type] }),
  ]),
) as unknown as Record<StoredBindingType, z.ZodType<StoredBinding>>;

/** SDK: WorkersBindingKindInherit: the binding of the same name (or old_name) in the previous version. */
const InheritBinding = z.strictObject({
  type: z.literal("inherit"),
  name: BindingName,
  old_name: BindingName.optional(),
  version_id: z.string().optional(),
});
export type InheritBinding = z.infer<typeof InheritBinding>;

/** Any binding a stored script may hold (inherit is resolved at upload). */
export type LocalBinding = WorkerBinding | StoredBinding;

const RUN_TYPES = new Set<string>(WorkerBinding.options.map((o) => o.shape.type.value));

/** Every binding type the local target takes: run, stored, or inherit. */
export const UPLOAD_BINDING_TYPES: readonly string[] = [...RUN_TYPES, ...STORED_BINDING_TYPES, "inherit"];

/** Validates a binding against its own kind's schema, so an error names that kind's fields. */
const UploadBinding = z.unknown().transform((raw, ctx): LocalBinding | InheritBinding => {
  const type = (raw as { type?: unknown } | null)?.type;
  const schema: z.ZodType<LocalBinding | InheritBinding> | undefined =
    typeof type !== "string"
      ? undefined
      : RUN_TYPES.has(type)
        ? WorkerBinding
        : type === "inherit"
          ? InheritBinding
          : STORED_SCHEMAS[type as StoredBindingType];
  if (!schema) {
    ctx.addIssue({ code: "custom", path: ["type"], message: `unknown binding type ${JSON.stringify(type)}` });
    return z.NEVER;
  }
  const parsed = schema.safeParse(raw);
  if (parsed.success) return parsed.data;
  for (const issue of parsed.error.issues) ctx.addIssue({ code: "custom", path: issue.path, message: issue.message });
  return z.NEVER;
});

const Renamed = z.strictObject({ from: str, to: str });
/** SDK: MigrationStepParam.TransferredClass. */
const Transferred = z.strictObject({ from: str, from_script: str, to: str });

const stepFields = {
  new_classes: z.array(str).optional(),
  new_sqlite_classes: z.array(str).optional(),
  renamed_classes: z.array(Renamed).optional(),
  deleted_classes: z.array(str).optional(),
  transferred_classes: z.array(Transferred).optional(),
};
export const LocalMigrationStep = z.strictObject(stepFields);
export type LocalMigrationStep = z.infer<typeof LocalMigrationStep>;

/** Both of the SDK's forms: SingleStepMigrationParam (step fields at the top) and WorkersMultipleStepMigrations. */
const UploadMigrations = z
  .strictObject({
    old_tag: z.string().optional(),
    new_tag: z.string().optional(),
    steps: z.array(LocalMigrationStep).optional(),
    ...stepFields,
  })
  .superRefine((m, ctx) => {
    const single = Object.keys(stepFields).filter((k) => m[k as keyof typeof stepFields] !== undefined);
    if (m.steps && single.length) {
      ctx.addIssue({
        code: "custom",
        path: [single[0]!],
        message: "give either steps (the multiple-step form) or the step fields at the top level, not both",
      });
    }
  })
  .transform(({ old_tag, new_tag, steps, ...step }) => ({
    ...(old_tag !== undefined ? { old_tag } : {}),
    ...(new_tag !== undefined ? { new_tag } : {}),
    steps: steps ?? (Object.values(step).some((v) => v !== undefined) ? [step] : []),
  }));
export type LocalMigrations = z.output<typeof UploadMigrations>;

const Observability = z.looseObject({
  enabled: z.boolean(),
  head_sampling_rate: z.number().min(0).max(1).nullable().optional(),
});

/** SDK: the Metadata.UnionMember0..7 placement forms. */
const Placement = z.union([
  z.strictObject({ mode: z.literal("smart") }),
  z.strictObject({ region: str }),
  z.strictObject({ hostname: str }),
  z.strictObject({ host: str }),
  z.strictObject({ mode: z.literal("targeted"), region: str }),
  z.strictObject({ mode: z.literal("targeted"), hostname: str }),
  z.strictObject({ mode: z.literal("targeted"), host: str }),
  z.strictObject({
    mode: z.literal("targeted"),
    target: z
      .array(
        z.union([z.strictObject({ region: str }), z.strictObject({ hostname: str }), z.strictObject({ host: str })]),
      )
      .min(1),
  }),
]);

/** SDK: TailAPI.ConsumerScriptParam. */
const TailConsumer = z.strictObject({
  service: str,
  environment: z.string().optional(),
  namespace: z.string().optional(),
});

/**
 * The metadata part. Strict: a field the SDK does not list is refused (chosen:
 * Cloudflare's handling of unknown fields is not documented; refusing makes a
 * typo visible).
 */
export const UploadMetadata = z.strictObject({
  main_module: str,
  compatibility_date: z.string().regex(/^\d{4}-\d{2}-\d{2}$/, { message: "must be YYYY-MM-DD" }),
  compatibility_flags: z.array(z.string()).optional(),
  bindings: z.array(UploadBinding).optional(),
  migrations: UploadMigrations.optional(),
  keep_bindings: z.array(z.string()).optional(),
  tags: z.array(z.string()).optional(),
  annotations: z
    .strictObject({ "workers/message": z.string().optional(), "workers/tag": z.string().optional() })
    .optional(),
  assets: z
    .looseObject({ jwt: z.string().optional(), config: z.record(z.string(), z.unknown()).optional() })
    .optional(),
  keep_assets: z.boolean().optional(),
  cache_options: z.strictObject({ enabled: z.boolean(), cross_version_cache: z.boolean().optional() }).optional(),
  exports: z.record(z.string(), z.looseObject({ type: z.enum(["worker", "durable-object"]) })).optional(),
  /** SDK: Metadata.Limits; Cloudflare's maximum CPU time is 300,000 ms (docs: workers/platform/limits). */
  limits: z
    .strictObject({
      cpu_ms: z.number().int().min(1).max(300_000).optional(),
      subrequests: z.number().int().min(1).optional(),
    })
    .optional(),
  logpush: z.boolean().optional(),
  observability: Observability.optional(),
  package_dependencies: z
    .array(z.strictObject({ name: z.string(), installedVersion: z.string(), packageJsonVersion: z.string() }))
    .optional(),
  placement: Placement.optional(),
  tail_consumers: z.array(TailConsumer).nullable().optional(),
  usage_model: z.enum(["standard", "bundled", "unbound"]).optional(),
});
export type UploadMetadata = z.output<typeof UploadMetadata>;

/** The metadata a stored script keeps: inherit resolved, migrations and keep_bindings applied. */
export type StoredMetadata = Omit<UploadMetadata, "migrations" | "keep_bindings" | "bindings"> & {
  bindings?: LocalBinding[];
};
