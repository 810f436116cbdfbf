/**
 * An app folder's Wrangler configuration, read as Wrangler reads it: the
 * first of wrangler.json, wrangler.jsonc and wrangler.toml. What the
 * platform gives apps (main, compatibility settings, Durable Object
 * bindings, vars, `limits.cpu_ms`) becomes App arguments; what it cannot
 * give is refused, naming the file, the field and why; what it decides
 * itself (routes, account, observability, …) is ignored, and said so.
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import { isAbsolute, join, relative, resolve } from "node:path";
import { type ParseError, parse as parseJsonc, printParseErrorCode } from "jsonc-parser";
import { parse as parseToml } from "smol-toml";
import { z } from "zod";
import {
  ClassName,
  CompatibilityDate,
  CompatibilityFlags,
  Crons,
  EnvVarName,
  HtmlHandling,
  NotFoundHandling,
  QuotaInput,
  RunWorkerFirst,
  formatIssues,
} from "../shared/schema/index.js";
import { ModuleRule, type ModuleOptions } from "./module-rules.js";

/** Wrangler's file names, in the order it looks for them. */
export const WRANGLER_FILES = ["wrangler.json", "wrangler.jsonc", "wrangler.toml"] as const;

const OFFERED = "this platform gives apps Durable Objects, vars, secrets, static assets and crons";

/** Fields for bindings or features the platform does not offer, with what they are. */
const REFUSED: Record<string, string> = {
  kv_namespaces: "KV namespaces",
  d1_databases: "D1 databases",
  r2_buckets: "R2 buckets",
  queues: "Queues",
  services: "service bindings",
  ai: "Workers AI",
  vectorize: "Vectorize indexes",
  hyperdrive: "Hyperdrive",
  browser: "Browser Rendering",
  workflows: "Workflows",
  analytics_engine_datasets: "Analytics Engine datasets",
  send_email: "Email",
  mtls_certificates: "mTLS certificates",
  dispatch_namespaces: "dispatch namespaces",
  tail_consumers: "tail consumers",
  version_metadata: "version metadata",
  images: "Images",
  secrets_store_secrets: "Secrets Store secrets",
  pipelines: "Pipelines",
  worker_loaders: "Worker Loaders",
  containers: "Containers",
  unsafe: "unsafe bindings",
  site: "Workers Sites",
  env: "per-environment overrides",
};

/** Fields the platform decides itself, or that only concern `wrangler` on a laptop. */
const IGNORED = new Set([
  "$schema",
  "name",
  "account_id",
  "routes",
  "route",
  "workers_dev",
  "preview_urls",
  "observability",
  "placement",
  "logpush",
  "upload_source_maps",
  "keep_vars",
  "minify",
  "no_bundle",
  "tsconfig",
  "build",
  "dev",
  "send_metrics",
  "compliance_region",
]);

const Binding = z.strictObject({ name: EnvVarName, class_name: ClassName, script_name: z.string().optional() });
const Migration = z
  .object({
    tag: z.string(),
    new_sqlite_classes: z.array(z.string()).optional(),
    new_classes: z.array(z.string()).optional(),
    renamed_classes: z.array(z.object({ from: z.string(), to: z.string() })).optional(),
    deleted_classes: z.array(z.string()).optional(),
  })
  .loose();

const WranglerConfig = z
  .object({
    main: z.string().min(1).optional(),
    compatibility_date: CompatibilityDate.optional(),
    compatibility_flags: CompatibilityFlags.optional(),
    durable_objects: z.strictObject({ bindings: z.array(Binding) }).optional(),
    migrations: z.array(Migration).optional(),
    vars: z.record(EnvVarName, z.string({ error: "must be a string: app vars are text" })).optional(),
    limits: z.strictObject({ cpu_ms: QuotaInput.shape.cpuMs }).optional(),
    triggers: z.strictObject({ crons: Crons }).optional(),
    rules: z.array(ModuleRule).optional(),
    find_additional_modules: z.boolean().optional(),
    base_dir: z.string().min(1).optional(),
    assets: z
      .strictObject({
        directory: z.string({ error: "must be the folder of files to serve, relative to this file" }).min(1),
        binding: EnvVarName.optional(),
        html_handling: HtmlHandling.optional(),
        not_found_handling: NotFoundHandling.optional(),
        run_worker_first: RunWorkerFirst.optional(),
      })
      .optional(),
  })
  .loose();

/** The `assets` field as App arguments take it (bundle/assets.ts reads the folder). */
export interface WranglerAssets {
  /** Relative to the app folder. */
  directory: string;
  binding?: string;
  htmlHandling?: z.infer<typeof HtmlHandling>;
  notFoundHandling?: z.infer<typeof NotFoundHandling>;
  runWorkerFirst?: z.infer<typeof RunWorkerFirst>;
}

/** What a Wrangler file gives an App, before the App's own arguments override it, field by field. */
export interface WranglerArgs {
  /** The file, relative to the app folder. */
  file: string;
  /** The entry, relative to the app folder. */
  main?: string;
  compatibilityDate?: string;
  compatibilityFlags?: string[];
  durableObjects?: Record<string, string>;
  env?: Record<string, string>;
  cpuMs?: number;
  assets?: WranglerAssets;
  /** `triggers.crons`. */
  crons?: string[];
  /** `rules`, `find_additional_modules` and `base_dir` (absolute), for the bundler. */
  moduleOptions?: ModuleOptions;
  /** Fields read and ignored (the platform decides them). */
  ignored: string[];
}

export class WranglerConfigError extends Error {
  override name = "WranglerConfigError";
}

/** The folder's Wrangler file, read and checked; null when it has none (or `source` is a file). */
export function readWranglerConfig(source: string): WranglerArgs | null {
  if (!existsSync(source) || !statSync(source).isDirectory()) return null;
  const file = WRANGLER_FILES.find((f) => existsSync(join(source, f)));
  if (!file) return null;
  const fail = (what: string): never => {
    throw new WranglerConfigError(`${file}: ${what}`);
  };
  const raw = parseFile(file, readFileSync(join(source, file), "utf8"), fail);
  if (raw === null || typeof raw !== "object" || Array.isArray(raw)) return fail("must hold an object");
  const problems: string[] = [];
  for (const [field, what] of Object.entries(REFUSED)) {
    if (field in raw) problems.push(`${field}: ${what} are not offered; ${OFFERED}`);
  }
  const known = new Set([...Object.keys(WranglerConfig.shape), ...Object.keys(REFUSED), ...IGNORED]);
  for (const field of Object.keys(raw)) {
    if (!known.has(field)) problems.push(`${field}: not a field this platform reads from a Wrangler file`);
  }
  const parsed = WranglerConfig.safeParse(raw);
  if (!parsed.success) {
    for (const i of formatIssues(parsed.error)) problems.push(`${i.path}: ${i.message}`);
  }
  if (problems.length || !parsed.success) return fail(problems.join("; "));
  const args = toArgs(
    file,
    parsed.data,
    Object.keys(raw).filter((f) => IGNORED.has(f)),
    fail,
  );
  const moduleOptions = moduleOptionsOf(source, parsed.data, fail);
  return moduleOptions ? { ...args, moduleOptions } : args;
}

/** `rules`, `find_additional_modules` and `base_dir` as the bundler takes them; base_dir must be a folder of the app. */
function moduleOptionsOf(
  source: string,
  c: z.infer<typeof WranglerConfig>,
  fail: (what: string) => never,
): ModuleOptions | undefined {
  if (c.rules === undefined && c.find_additional_modules === undefined && c.base_dir === undefined) return undefined;
  let baseDir: string | undefined;
  if (c.base_dir !== undefined) {
    baseDir = resolve(source, c.base_dir);
    const rel = relative(resolve(source), baseDir);
    if (rel.startsWith("..") || isAbsolute(rel))
      fail(`base_dir: '${c.base_dir}' must be a folder inside the app folder`);
    if (!existsSync(baseDir) || !statSync(baseDir).isDirectory()) fail(`base_dir: '${c.base_dir}' is not a folder`);
  }
  return {
    ...(c.rules !== undefined && { rules: c.rules }),
    ...(c.find_additional_modules !== undefined && { findAdditionalModules: c.find_additional_modules }),
    ...(baseDir !== undefined && { baseDir }),
  };
}

function parseFile(file: string, text: string, fail: (what: string) => never): unknown {
  if (file.endsWith(".toml")) {
    try {
      return parseToml(text);
    } catch (e) {
      return fail(`not valid TOML: ${(e as Error).message.split("\n")[0]}`);
    }
  }
  const errors: ParseError[] = [];
  const value = parseJsonc(text, errors, { allowTrailingComma: true, disallowComments: file.endsWith(".json") });
  if (errors.length) {
    const e = errors[0]!;
    const before = text.slice(0, e.offset).split("\n");
    fail(
      `not valid ${file.endsWith(".json") ? "JSON" : "JSONC"} at line ${before.length}, column ${before.at(-1)!.length + 1}: ${printParseErrorCode(e.error)}`,
    );
  }
  return value;
}

function toArgs(
  file: string,
  c: z.infer<typeof WranglerConfig>,
  ignored: string[],
  fail: (what: string) => never,
): WranglerArgs {
  const bindings = c.durable_objects?.bindings ?? [];
  const durableObjects: Record<string, string> = {};
  bindings.forEach((b, i) => {
    if (b.script_name !== undefined)
      fail(`durable_objects.bindings[${i}].script_name: objects of another Worker are not offered`);
    if (b.name in durableObjects) fail(`durable_objects.bindings[${i}].name: '${b.name}' is bound twice`);
    durableObjects[b.name] = b.class_name;
  });
  const assetsBinding = c.assets?.binding;
  if (assetsBinding !== undefined && (assetsBinding in durableObjects || Object.hasOwn(c.vars ?? {}, assetsBinding)))
    fail(
      `assets.binding: '${assetsBinding}' is also a Durable Object binding or a var; one name in env is one binding`,
    );
  // The platform provisions objects itself; migrations are only checked against the classes.
  const classes = new Set(Object.values(durableObjects));
  (c.migrations ?? []).forEach((m, i) => {
    for (const cls of [...(m.new_sqlite_classes ?? []), ...(m.new_classes ?? [])]) {
      if (!classes.has(cls))
        fail(
          `migrations[${i}]: class '${cls}' has no durable_objects binding (bound: ${[...classes].join(", ") || "none"})`,
        );
    }
  });
  return {
    file,
    ...(c.main !== undefined && { main: c.main }),
    ...(c.compatibility_date !== undefined && { compatibilityDate: c.compatibility_date }),
    ...(c.compatibility_flags !== undefined && { compatibilityFlags: c.compatibility_flags }),
    ...(bindings.length > 0 && { durableObjects }),
    ...(c.vars !== undefined && { env: c.vars }),
    ...(c.limits?.cpu_ms !== undefined && { cpuMs: c.limits.cpu_ms }),
    ...(c.assets !== undefined && { assets: assetsArgs(c.assets) }),
    ...(c.triggers !== undefined && { crons: c.triggers.crons }),
    ignored,
  };
}

function assetsArgs(a: NonNullable<z.infer<typeof WranglerConfig>["assets"]>): WranglerAssets {
  return {
    directory: a.directory,
    ...(a.binding !== undefined && { binding: a.binding }),
    ...(a.html_handling !== undefined && { htmlHandling: a.html_handling }),
    ...(a.not_found_handling !== undefined && { notFoundHandling: a.not_found_handling }),
    ...(a.run_worker_first !== undefined && { runWorkerFirst: a.run_worker_first }),
  };
}
