/**
 * One code version of an app: its modules, compatibility settings, Durable
 * Object class, env and secrets. Everything here is part of the version hash
 * (secrets through a keyed digest).
 * Runs in Node and in workerd.
 */
import { z } from "zod";
import { LIMITS } from "./limits.js";
import { ClassName, EnvVarName, ModuleName, Sha256, nameRecord } from "./names.js";
import { contradictoryFlags, oppositeFlag, workerdFlagProblem } from "./compat-flags.js";
import { VersionAssets, assetBindingClash } from "./assets.js";

/**
 * Module kinds, as the Worker Loader takes them. Text kinds carry UTF-8
 * content; `data` and `wasm` carry base64.
 */
export const ModuleType = z.enum(["js", "cjs", "text", "json", "data", "wasm"]);
export type ModuleType = z.infer<typeof ModuleType>;
export const BINARY_MODULE_TYPES: readonly ModuleType[] = ["data", "wasm"];

const BASE64_RE = /^(?:[A-Za-z0-9+/]{4})*(?:[A-Za-z0-9+/]{2}==|[A-Za-z0-9+/]{3}=)?$/;

/**
 * One module of an upload: its content, or only its sha256 when the host
 * already stores that content (see `POST /apps/:app/modules/missing`).
 */
export const ModuleUpload = z
  .strictObject({ type: ModuleType, content: z.string().optional(), sha256: Sha256.optional() })
  .superRefine((m, ctx) => {
    if ((m.content === undefined) === (m.sha256 === undefined)) {
      ctx.addIssue({
        code: "custom",
        path: [],
        message: "must have either 'content' or 'sha256' (of content the host stores), not both",
      });
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
  .refine(
    (s) => !Number.isNaN(Date.parse(`${s}T00:00:00Z`)) && new Date(`${s}T00:00:00Z`).toISOString().startsWith(s),
    {
      message: "must be a real calendar date",
    },
  );

/**
 * Flags the host adds to every app it loads: with them an app's code holds
 * no Durable Object class (no `ctx.exports`, no importable `exports`), so it
 * cannot start nested facets, databases outside maxObjects and
 * maxStorageBytes. `import { env }` still works (the host sets it per call).
 */
export const HOST_APP_FLAGS = ["disable_ctx_exports", "disallow_importable_env"] as const;
/**
 * Flags an app may not name, and why: each host flag's opposite
 * (enable_ctx_exports, allow_importable_env, as workerd pairs them), and
 * no_rpc, which the host's bindings cannot work without.
 */
const REFUSED_FLAGS: Record<string, string> = {
  ...Object.fromEntries(
    HOST_APP_FLAGS.map((f) => [oppositeFlag(f) ?? f, f] as const)
      .filter(([refused, f]) => refused !== f)
      .map(([refused, f]) => [
        refused,
        `the host loads every app with ${f}, so that an app's code holds no Durable Object class to start databases outside its quota`,
      ]),
  ),
  no_rpc: "the host's bindings (env.OBJECTS and Durable Object namespaces) need RPC",
};

/** RPC between Workers is on by default from this date; before it the host adds the `rpc` flag (its bindings need it). */
export const RPC_DEFAULT_DATE = "2024-04-03";

/** The flags the host adds to an app of this compatibility date. */
export function hostAppFlags(compatibilityDate: string): string[] {
  return compatibilityDate < RPC_DEFAULT_DATE ? [...HOST_APP_FLAGS, "rpc"] : [...HOST_APP_FLAGS];
}

/**
 * One compatibility flag of an app: a flag workerd knows (compat-flags.ts,
 * read from the workerd package), not experimental, and not one that undoes
 * what the host needs.
 */
export const CompatibilityFlag = z
  .string()
  .regex(/^[a-z0-9_]{1,64}$/, { message: "must be a flag name of a-z, 0-9 and '_'", abort: true })
  .refine((f) => !Object.hasOwn(REFUSED_FLAGS, f), {
    error: (issue) => `'${issue.input}' is not allowed: ${REFUSED_FLAGS[issue.input as string]}`,
    abort: true,
  })
  .superRefine((f, ctx) => {
    const problem = workerdFlagProblem(f);
    if (problem) ctx.addIssue({ code: "custom", message: problem });
  });

/** An app's compatibility flags: each a CompatibilityFlag, and no behaviour both on and off. */
export const CompatibilityFlags = z
  .array(CompatibilityFlag)
  .max(LIMITS.maxCompatibilityFlags)
  .superRefine((flags, ctx) => {
    for (const c of contradictoryFlags(flags)) {
      ctx.addIssue({
        code: "custom",
        path: [c.at],
        message: `'${c.flag}' turns off what '${c.opposite}' turns on (workerd refuses both together): keep one`,
      });
    }
  });

/**
 * One code version of an app, as `POST /_control/v1/apps/:app/versions`
 * takes it. Everything here is part of the version hash (see ../version-hash.ts).
 */
export const AppVersionSpec = z
  .strictObject({
    /** The module the Worker starts from; must be a `js` (ES) module. */
    mainModule: ModuleName,
    /** Module name to content (or to sha256 of content the host has). */
    modules: nameRecord(ModuleName, ModuleUpload),
    compatibilityDate: CompatibilityDate,
    /** @default [] */
    compatibilityFlags: CompatibilityFlags.default([]),
    /** The exported Durable Object class behind `env.OBJECTS` (the platform's own API), if any. */
    durableObject: ClassName.nullable().default(null),
    /**
     * Durable Object namespace bindings, as Workers declares them: binding
     * name in `env` → exported class. Each is a standard namespace
     * (`idFromName`, `get`, `getByName`, …). @default {}
     */
    durableObjects: nameRecord(EnvVarName, ClassName).default({}),
    /** Plain-text vars in the app's `env`. @default {} */
    env: nameRecord(EnvVarName, z.string()).default({}),
    /**
     * Secret vars in the app's `env`: the hash covers them only through a
     * digest keyed with the platform's secrets key, and no answer of the
     * control API holds their values. @default {}
     */
    secrets: nameRecord(EnvVarName, z.string()).default({}),
    /** Static assets: serving options and files by digest (contents uploaded apart). @default null */
    assets: VersionAssets.nullable().default(null),
  })
  .superRefine((spec, ctx) => {
    const names = Object.keys(spec.modules);
    if (names.length === 0) {
      ctx.addIssue({ code: "custom", path: ["modules"], message: "must hold at least one module" });
    }
    if (names.length > LIMITS.maxModules) {
      ctx.addIssue({
        code: "custom",
        path: ["modules"],
        message: `must hold at most ${LIMITS.maxModules} modules (got ${names.length})`,
      });
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
    for (const m of Object.values(spec.modules))
      if (m.content !== undefined) bytes += contentByteLength(m.type, m.content);
    if (bytes > LIMITS.maxCodeBytes) {
      ctx.addIssue({
        code: "custom",
        path: ["modules"],
        message: `total code is ${bytes} bytes; at most ${LIMITS.maxCodeBytes} bytes are allowed`,
      });
    }
    checkBindings(spec.durableObjects, spec.env, ctx);
    checkEnv(spec, ctx);
    const clash = assetBindingClash(spec.assets?.binding ?? null, spec);
    if (clash) ctx.addIssue({ code: "custom", path: ["assets", "binding"], message: clash });
  });

/** Plain vars and secrets: no name in both, and within the env caps counted together (one env in the isolate). */
function checkEnv(
  spec: { env: Record<string, string>; secrets: Record<string, string> },
  ctx: z.core.$RefinementCtx,
): void {
  for (const name of Object.keys(spec.secrets)) {
    if (Object.hasOwn(spec.env, name)) {
      ctx.addIssue({
        code: "custom",
        path: ["secrets", name],
        message: `'${name}' is both an env var and a secret; use one`,
      });
    }
  }
  const both = { ...spec.env, ...spec.secrets };
  const what = Object.keys(spec.secrets).length > 0 ? ", counting the secrets" : "";
  const envKeys = Object.keys(both);
  if (envKeys.length > LIMITS.maxEnvVars) {
    ctx.addIssue({
      code: "custom",
      path: ["env"],
      message: `at most ${LIMITS.maxEnvVars} vars are allowed${what} (got ${envKeys.length})`,
    });
  }
  const envBytes = new TextEncoder().encode(JSON.stringify(both)).byteLength;
  if (envBytes > LIMITS.maxEnvBytes) {
    ctx.addIssue({
      code: "custom",
      path: ["env"],
      message: `is ${envBytes} bytes as JSON${what}; at most ${LIMITS.maxEnvBytes} bytes are allowed`,
    });
  }
}

export type AppVersionSpecInput = z.input<typeof AppVersionSpec>;

function checkBindings(bindings: Record<string, string>, env: Record<string, string>, ctx: z.RefinementCtx): void {
  const names = Object.keys(bindings);
  if (names.length > LIMITS.maxDurableObjectBindings) {
    ctx.addIssue({
      code: "custom",
      path: ["durableObjects"],
      message: `at most ${LIMITS.maxDurableObjectBindings} bindings are allowed (got ${names.length})`,
    });
  }
  for (const b of names) {
    if (Object.hasOwn(env, b)) {
      ctx.addIssue({
        code: "custom",
        path: ["durableObjects", b],
        message: `'${b}' is also an env var: a binding and a var cannot share a name in env`,
      });
    }
  }
}
export type AppVersionSpec = z.output<typeof AppVersionSpec>;

/** Decoded size of a module's content. */
export function contentByteLength(type: ModuleType, content: string): number {
  if (BINARY_MODULE_TYPES.includes(type)) {
    const pad = content.endsWith("==") ? 2 : content.endsWith("=") ? 1 : 0;
    return (content.length / 4) * 3 - pad;
  }
  return new TextEncoder().encode(content).byteLength;
}
