/**
 * The one definition of what an app, its code, its quota and the platform's
 * limits may be. The host's control API, the App resource and the CLI all
 * validate with these schemas, so a bad input gets the same message wherever
 * it is caught first.
 *
 * This file runs in Node and in workerd: it may use only zod and web APIs.
 */
import { z } from "zod";

/** Names an app may not take: they collide with host hostnames or paths. */
export const RESERVED_APP_NAMES: readonly string[] = [
  "admin",
  "api",
  "apps",
  "control",
  "dash",
  "host",
  "localhost",
  "www",
];

/** Module names under this prefix belong to the host (its wrapper module). */
export const HOST_MODULE_PREFIX = "__dw";

/**
 * Size caps, kept below the runtime's hard limits so a user gets our message
 * instead of an opaque runtime failure: workerd caps a worker's code at
 * 64 MiB and its serialized `env` at 1 MiB, and one Workers RPC message at
 * 32 MiB (modules travel from AppControl to the loader over RPC).
 */
export const LIMITS = {
  /** Sum of all module sizes of one version, in bytes (decoded). */
  maxCodeBytes: 24 * 1024 * 1024,
  /** Modules in one version. */
  maxModules: 1000,
  /** Length of a module name. */
  maxModuleNameLength: 256,
  /** The app's `env` vars, JSON-serialized, in bytes. */
  maxEnvBytes: 512 * 1024,
  /** Number of env vars. */
  maxEnvVars: 128,
  /** Compatibility flags per version. */
  maxCompatibilityFlags: 64,
  /** Length of an object name passed to `env.OBJECTS.get(name)`. */
  maxObjectNameLength: 256,
} as const;

const APP_NAME_RE = /^[a-z][a-z0-9-]{0,62}$/;

/** An app's name: a DNS label, so `<app>.<appsDomain>` is a valid hostname. */
export const AppName = z
  .string()
  .regex(APP_NAME_RE, {
    message:
      "must be a DNS label: 1-63 characters of a-z, 0-9 and '-', starting with a letter",
  })
  .refine((s) => !s.endsWith("-"), { message: "must not end with '-'" })
  .refine((s) => !RESERVED_APP_NAMES.includes(s), {
    message: `is reserved; reserved names: ${RESERVED_APP_NAMES.join(", ")}`,
  });

/** A module's path inside the worker, e.g. `index.js` or `lib/util.js`. */
export const ModuleName = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(LIMITS.maxModuleNameLength, {
    message: `must be at most ${LIMITS.maxModuleNameLength} characters`,
  })
  .regex(/^[A-Za-z0-9._@+\-/]+$/, {
    message: "may contain only A-Z, a-z, 0-9 and . _ @ + - /",
  })
  .refine((s) => !s.startsWith("/"), { message: "must be relative (no leading '/')" })
  .refine((s) => s.split("/").every((seg) => seg !== "" && seg !== "." && seg !== ".."), {
    message: "must not contain empty, '.' or '..' path segments",
  })
  .refine((s) => !s.startsWith(HOST_MODULE_PREFIX), {
    message: `must not start with '${HOST_MODULE_PREFIX}' (reserved for the host)`,
  });

/**
 * Module kinds, as the Worker Loader takes them. Text kinds carry UTF-8
 * content; `data` and `wasm` carry base64.
 */
export const ModuleType = z.enum(["js", "cjs", "text", "json", "data", "wasm"]);
export type ModuleType = z.infer<typeof ModuleType>;
export const BINARY_MODULE_TYPES: readonly ModuleType[] = ["data", "wasm"];

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/** A sha256 digest in lowercase hex. */
export const Sha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: "must be a sha256 digest: 64 lowercase hex characters" });

/**
 * One module of an upload: its content, or only its sha256 when the host
 * already stores that content (see `POST /apps/:app/modules/missing`).
 */
export const ModuleUpload = z
  .strictObject({ type: ModuleType, content: z.string().optional(), sha256: Sha256.optional() })
  .superRefine((m, ctx) => {
    if ((m.content === undefined) === (m.sha256 === undefined)) {
      ctx.addIssue({ code: "custom", path: [], message: "must have either 'content' or 'sha256' (of content the host stores), not both" });
      return;
    }
    if (m.content === undefined) return;
    if (BINARY_MODULE_TYPES.includes(m.type) && !BASE64_RE.test(m.content)) {
      ctx.addIssue({ code: "custom", path: ["content"], message: `must be base64 for a '${m.type}' module` });
    }
    if (m.type === "json") {
      try {
        JSON.parse(m.content);
      } catch {
        ctx.addIssue({ code: "custom", path: ["content"], message: "must be valid JSON for a 'json' module" });
      }
    }
  });
export type ModuleUpload = z.infer<typeof ModuleUpload>;

/** A compatibility date: a real calendar day, YYYY-MM-DD. */
export const CompatibilityDate = z
  .string()
  .regex(/^\d{4}-\d{2}-\d{2}$/, { message: "must be a date as YYYY-MM-DD" })
  .refine((s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s), {
    message: "must be a real calendar date",
  });

export const CompatibilityFlag = z
  .string()
  .regex(/^[a-z0-9_]{1,64}$/, { message: "must be a flag name of a-z, 0-9 and '_'" });

/** Words a class cannot be named (ECMAScript reserved words, and names the wrapper must not shadow). */
const RESERVED_WORDS = new Set(
  ("await break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if implements import in instanceof interface let new null package private protected public return static " +
    "super switch this throw true try typeof var void while with yield arguments eval undefined NaN Infinity").split(" "),
);

/** The name of an exported JavaScript class. */
export const ClassName = z
  .string()
  .regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/, { message: "must be a JavaScript class name" })
  .refine((s) => !RESERVED_WORDS.has(s), { message: "must not be a JavaScript reserved word" })
  .refine((s) => !s.startsWith(HOST_MODULE_PREFIX), { message: `must not start with '${HOST_MODULE_PREFIX}' (reserved for the host)` });

/** Binding names the host puts in an app's env itself. */
export const RESERVED_ENV_NAMES: readonly string[] = ["OBJECTS", "__proto__"];

export const EnvVarName = z
  .string()
  .regex(/^[A-Za-z_][A-Za-z0-9_]{0,127}$/, {
    message: "must be an identifier: letters, digits and '_', not starting with a digit, at most 128 characters",
  })
  .refine((s) => !RESERVED_ENV_NAMES.includes(s), {
    message: `is reserved for the host: ${RESERVED_ENV_NAMES.join(", ")}`,
  })
  .refine((s) => !s.startsWith(HOST_MODULE_PREFIX), { message: `must not start with '${HOST_MODULE_PREFIX}' (reserved for the host)` });

/**
 * A record whose keys are names. JSON.parse keeps a "__proto__" key as an own
 * property, but zod drops it silently when it builds the record, so it is
 * refused here, naming it, before zod sees it.
 */
function nameRecord<K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V) {
  return z.preprocess((input, ctx) => {
    if (input !== null && typeof input === "object" && Object.prototype.hasOwnProperty.call(input, "__proto__")) {
      ctx.addIssue({ code: "custom", path: ["__proto__"], message: "'__proto__' cannot be a name" });
    }
    return input;
    // The preprocess step changes no type: keep the record's input type for callers.
  }, z.record(key, value)) as unknown as z.ZodRecord<K, V>;
}

/**
 * One code version of an app, as `POST /_control/v1/apps/:app/versions`
 * takes it. Everything here is part of the version hash (see hash.ts).
 */
export const AppVersionSpec = z
  .strictObject({
    /** The module the Worker starts from; must be a `js` (ES) module. */
    mainModule: ModuleName,
    /** Module name to content (or to sha256 of content the host has). */
    modules: nameRecord(ModuleName, ModuleUpload),
    compatibilityDate: CompatibilityDate,
    /** @default [] */
    compatibilityFlags: z.array(CompatibilityFlag).max(LIMITS.maxCompatibilityFlags).default([]),
    /** The exported Durable Object class that holds the app's state, if any. */
    durableObject: ClassName.nullable().default(null),
    /** Plain-text vars in the app's `env`. @default {} */
    env: nameRecord(EnvVarName, z.string()).default({}),
  })
  .superRefine((spec, ctx) => {
    const names = Object.keys(spec.modules);
    if (names.length === 0) {
      ctx.addIssue({ code: "custom", path: ["modules"], message: "must hold at least one module" });
    }
    if (names.length > LIMITS.maxModules) {
      ctx.addIssue({ code: "custom", path: ["modules"], message: `must hold at most ${LIMITS.maxModules} modules (got ${names.length})` });
    }
    const main = spec.modules[spec.mainModule];
    if (!main) {
      ctx.addIssue({
        code: "custom",
        path: ["mainModule"],
        message: `'${spec.mainModule}' is not among the modules (${names.slice(0, 5).join(", ")}${names.length > 5 ? ", …" : ""})`,
      });
    } else if (main.type !== "js") {
      ctx.addIssue({ code: "custom", path: ["mainModule"], message: `must be a 'js' (ES) module, not '${main.type}'` });
    }
    let bytes = 0;
    for (const m of Object.values(spec.modules)) if (m.content !== undefined) bytes += contentByteLength(m.type, m.content);
    if (bytes > LIMITS.maxCodeBytes) {
      ctx.addIssue({
        code: "custom",
        path: ["modules"],
        message: `total code is ${bytes} bytes; at most ${LIMITS.maxCodeBytes} bytes are allowed`,
      });
    }
    const envKeys = Object.keys(spec.env);
    if (envKeys.length > LIMITS.maxEnvVars) {
      ctx.addIssue({ code: "custom", path: ["env"], message: `at most ${LIMITS.maxEnvVars} vars are allowed (got ${envKeys.length})` });
    }
    const envBytes = new TextEncoder().encode(JSON.stringify(spec.env)).byteLength;
    if (envBytes > LIMITS.maxEnvBytes) {
      ctx.addIssue({ code: "custom", path: ["env"], message: `is ${envBytes} bytes as JSON; at most ${LIMITS.maxEnvBytes} bytes are allowed` });
    }
  });
export type AppVersionSpecInput = z.input<typeof AppVersionSpec>;
export type AppVersionSpec = z.output<typeof AppVersionSpec>;

/** Decoded size of a module's content. */
export function contentByteLength(type: ModuleType, content: string): number {
  if (BINARY_MODULE_TYPES.includes(type)) {
    const pad = content.endsWith("==") ? 2 : content.endsWith("=") ? 1 : 0;
    return (content.length / 4) * 3 - pad;
  }
  return new TextEncoder().encode(content).byteLength;
}

/**
 * A version's source files: what went into its bundle, kept beside the
 * version for reading (the pull-request comment's diffs), never loaded into
 * the app's isolate and not part of the version hash.
 */
export const SOURCE_LIMITS = {
  /** Files per version. */
  maxFiles: 1000,
  /** Length of a file's path. */
  maxPathLength: 512,
  /** Sum of all files' UTF-8 bytes of one version. */
  maxBytes: 8 * 1024 * 1024,
} as const;

/** A source file's path relative to the app folder, with '/' separators. */
export const SourcePath = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(SOURCE_LIMITS.maxPathLength, { message: `must be at most ${SOURCE_LIMITS.maxPathLength} characters` })
  .refine((s) => !/[\\\u0000-\u001f]/.test(s), { message: "must not contain '\\' or control characters" })
  .refine((s) => !s.startsWith("/") && s.split("/").every((seg) => seg !== "" && seg !== "." && seg !== ".."), {
    message: "must be relative, without empty, '.' or '..' segments",
  });

/** One source file: its UTF-8 text, or the sha256 of text the host stores. */
export const SourceUpload = z
  .strictObject({ content: z.string().optional(), sha256: Sha256.optional() })
  .refine((f) => (f.content === undefined) !== (f.sha256 === undefined), {
    message: "must have either 'content' or 'sha256' (of content the host stores), not both",
  });

/** `PUT /_control/v1/apps/:app/versions/:hash/sources`: replaces the version's source files. */
export const VersionSourcesRequest = z
  .strictObject({ files: nameRecord(SourcePath, SourceUpload) })
  .superRefine((r, ctx) => {
    const n = Object.keys(r.files).length;
    if (n > SOURCE_LIMITS.maxFiles) {
      ctx.addIssue({ code: "custom", path: ["files"], message: `must hold at most ${SOURCE_LIMITS.maxFiles} files (got ${n})` });
    }
    let bytes = 0;
    for (const f of Object.values(r.files)) if (f.content !== undefined) bytes += new TextEncoder().encode(f.content).byteLength;
    if (bytes > SOURCE_LIMITS.maxBytes) {
      ctx.addIssue({ code: "custom", path: ["files"], message: `are ${bytes} bytes in all; at most ${SOURCE_LIMITS.maxBytes} bytes are allowed` });
    }
  });
export type VersionSourcesRequest = z.input<typeof VersionSourcesRequest>;

/** Bounds of each quota field; defaults live in QUOTA_DEFAULTS. */
const quotaField = {
  /** Distinct objects the app may create through `env.OBJECTS`. */
  maxObjects: z.number().int().min(0).max(1_000_000),
  /** Total SQLite bytes of the app's objects. */
  maxStorageBytes: z.number().int().min(0).max(10_000_000_000_000),
  /** Requests per minute across the app. */
  requestsPerMinute: z.number().int().min(1).max(100_000_000),
  /** CPU milliseconds per invocation (enforced on Cloudflare only). */
  cpuMs: z.number().int().min(1).max(300_000),
  /** Subrequests per invocation (enforced on Cloudflare only). */
  subRequests: z.number().int().min(0).max(10_000),
};

/** What an app gets for a field nobody declared (before the platform ceiling). */
export const QUOTA_DEFAULTS = {
  maxObjects: 100,
  maxStorageBytes: 100_000_000,
  requestsPerMinute: 6000,
  cpuMs: 50,
  subRequests: 50,
} as const;

/** What one app may use, every field filled. */
export const Quota = z.strictObject({
  maxObjects: quotaField.maxObjects.default(QUOTA_DEFAULTS.maxObjects),
  maxStorageBytes: quotaField.maxStorageBytes.default(QUOTA_DEFAULTS.maxStorageBytes),
  requestsPerMinute: quotaField.requestsPerMinute.default(QUOTA_DEFAULTS.requestsPerMinute),
  cpuMs: quotaField.cpuMs.default(QUOTA_DEFAULTS.cpuMs),
  subRequests: quotaField.subRequests.default(QUOTA_DEFAULTS.subRequests),
});
export type Quota = z.output<typeof Quota>;

/** A quota as declared: only the fields given, no defaults filled in. */
export const QuotaInput = z.strictObject({
  maxObjects: quotaField.maxObjects.optional(),
  maxStorageBytes: quotaField.maxStorageBytes.optional(),
  requestsPerMinute: quotaField.requestsPerMinute.optional(),
  cpuMs: quotaField.cpuMs.optional(),
  subRequests: quotaField.subRequests.optional(),
});
export type QuotaInput = z.infer<typeof QuotaInput>;
export const QUOTA_FIELDS = Object.keys(QUOTA_DEFAULTS) as (keyof Quota)[];

/** A host pattern of an egress allow-list: `api.example.com` or `*.example.org`. */
export const HostPattern = z
  .string()
  .max(253)
  .transform((s) => s.toLowerCase())
  .pipe(
    z.string().regex(/^(\*\.)?([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z][a-z0-9-]{0,62}$/, {
      message: "must be a hostname like api.example.com, or *.example.com for its subdomains (no scheme, port or path)",
    }),
  );

/** Where an app's code may send requests. @default "none" */
export const Outbound = z.union([
  z.literal("none"),
  z.strictObject({ allow: z.array(HostPattern).min(1).max(100) }),
]);
export type Outbound = z.infer<typeof Outbound>;

/** A tag: 1-32 characters of a-z, 0-9, '-', '_', '.' and ':', starting with a letter or digit. */
export const Tag = z.string().regex(/^[a-z0-9][a-z0-9._:-]{0,31}$/, {
  message: "must be 1-32 characters of a-z, 0-9, '-', '_', '.' and ':', starting with a letter or digit",
});

/** Labels of an app, for people and policies (e.g. `disposable`); not part of the version hash. */
export const Tags = z
  .array(Tag)
  .max(20, { message: "at most 20 tags are allowed" })
  .refine((tags) => new Set(tags).size === tags.length, { message: "must not repeat a tag" });

/** An app's settings, as `PUT /_control/v1/apps/:app` takes them. */
export const AppSettingsInput = z.strictObject({
  quota: QuotaInput.default({}),
  outbound: Outbound.default("none"),
  /**
   * Keep the app's console lines and exceptions (GET /apps/:app/logs). The
   * host's wrapper collects them in the app's isolate, and only for an app
   * that asks. @default false
   */
  logs: z.boolean().default(false),
  /**
   * Labels for people and policies (the policy pack lets `dataOnDelete:
   * "delete"` through only for a tagged app). The App resource keeps them
   * in its state and never sends them to the host. @default none
   */
  tags: Tags.optional(),
});
export type AppSettingsInput = z.input<typeof AppSettingsInput>;
export type AppSettings = z.output<typeof AppSettingsInput>;

/** `POST /_control/v1/apps/:app/deploy`. */
export const DeployRequest = z.strictObject({
  versionHash: Sha256,
  /** The version the caller believes is current; `null` for none. A mismatch is a 409. */
  expectedCurrent: Sha256.nullable(),
});

/** `POST /_control/v1/apps/:app/rollback`. */
export const RollbackRequest = z.strictObject({
  /** Version to go back to; omitted: the one deployed before the current one. */
  versionHash: Sha256.optional(),
  expectedCurrent: Sha256.nullable().optional(),
});

/** `POST /_control/v1/apps/:app/modules/missing`. */
export const MissingModulesRequest = z.strictObject({
  hashes: z.array(Sha256).max(LIMITS.maxModules),
});

/** `DELETE /_control/v1/apps/:app?data=…`. @default "retain" */
export const DataOnDelete = z.enum(["retain", "delete"]);

/** Paging of list calls. */
export const ListQuery = z.strictObject({
  limit: z.coerce.number().int().min(1).max(1000).default(100),
  cursor: z.string().max(64).optional(),
});

/** An object name given to `env.OBJECTS.get(name)`. */
export const ObjectName = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(LIMITS.maxObjectNameLength, { message: `must be at most ${LIMITS.maxObjectNameLength} characters` });

/** The host's settings, passed as the `PLATFORM_CONFIG` json binding. */
export const PlatformConfig = z.strictObject({
  /** Apps answer at `<app>.<appsDomain>`; without it only `/apps/<app>/` routes. */
  appsDomain: z
    .string()
    .regex(/^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)*[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/, {
      message: "must be a lowercase hostname such as apps.example.com",
    })
    .optional(),
  /** How long an isolate trusts its cached view of an app. @default 2 */
  cacheTtlSeconds: z.number().min(0).max(300).default(2),
  /** Code versions kept per app (the current one is always kept). @default 10 */
  versionsKept: z.number().int().min(1).max(1000).default(10),
  limits: z
    .strictObject({
      /** Apps on this platform. @default 1000 */
      maxApps: z.number().int().min(0).max(1_000_000).default(1000),
      /** No app's quota may exceed these. @default {} (no ceiling) */
      maxQuota: QuotaInput.default({}),
    })
    .default({ maxApps: 1000, maxQuota: {} }),
  defaults: z
    .strictObject({
      /** Quota fields an app leaves out. @default {} (Quota's own defaults) */
      quota: QuotaInput.default({}),
    })
    .default({ quota: {} }),
}).superRefine((c, ctx) => {
  for (const issue of quotaOverCeiling(Quota.parse(c.defaults.quota), c.limits.maxQuota)) {
    const field = issue.path.split(".")[1]!;
    if (c.defaults.quota[field as keyof Quota] !== undefined) {
      ctx.addIssue({ code: "custom", path: ["defaults", "quota", field], message: issue.message });
    }
  }
});
export type PlatformConfigInput = z.input<typeof PlatformConfig>;
export type PlatformConfig = z.output<typeof PlatformConfig>;

/** One failing field: a path readable by a person, and what is allowed. */
export interface FieldIssue {
  path: string;
  message: string;
}

/** Turns zod issues into `[{ path: 'modules["a.js"].content', message }]`. */
export function formatIssues(error: z.ZodError, prefix = ""): FieldIssue[] {
  return error.issues.map((issue) => {
    // A refused record key carries the key schema's own message one level down.
    const nested = issue.code === "invalid_key" ? (issue as { issues?: { message: string }[] }).issues?.[0]?.message : undefined;
    return { path: formatPath(issue.path, prefix), message: nested ? `key ${nested}` : issue.message };
  });
}

export function formatPath(path: readonly PropertyKey[], prefix = ""): string {
  let out = prefix;
  for (const key of path) {
    if (typeof key === "number") out += `[${key}]`;
    else if (typeof key === "string" && /^[A-Za-z_$][A-Za-z0-9_$]*$/.test(key)) out += out ? `.${key}` : key;
    else out += `[${JSON.stringify(String(key))}]`;
  }
  return out || "(root)";
}

/** One line per issue: `field: message`. */
export function describeIssues(issues: FieldIssue[]): string {
  return issues.map((i) => `${i.path}: ${i.message}`).join("; ");
}

/**
 * The quota in force for an app: each field as the app declares it, else the
 * platform's default, else Quota's default lowered to the platform ceiling.
 * Only declared values can be above the ceiling (see quotaOverCeiling).
 */
export function effectiveQuota(own: QuotaInput, config: Pick<PlatformConfig, "defaults" | "limits">): Quota {
  const quota = Quota.parse({ ...config.defaults.quota, ...own });
  const ceiling = config.limits.maxQuota;
  for (const field of QUOTA_FIELDS) {
    const max = ceiling[field];
    if (own[field] === undefined && config.defaults.quota[field] === undefined && max !== undefined) {
      quota[field] = Math.min(quota[field], max);
    }
  }
  return quota;
}

/** Fields of `quota` above `ceiling`, each named with the asked value and the ceiling. */
export function quotaOverCeiling(quota: Quota, ceiling: QuotaInput): FieldIssue[] {
  const issues: FieldIssue[] = [];
  for (const field of QUOTA_FIELDS) {
    const max = ceiling[field];
    if (max !== undefined && quota[field] > max) {
      issues.push({ path: `quota.${field}`, message: `${quota[field]} is above the platform ceiling of ${max}` });
    }
  }
  return issues;
}
