/**
 * Names: of apps, modules, classes, env vars and objects, and the names the
 * host reserves. Runs in Node and in workerd.
 */
import { z } from "zod";
import { LIMITS } from "./limits.js";

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

const APP_NAME_RE = /^[a-z][a-z0-9-]{0,62}$/;

/**
 * A name the host routes to: a production app's or a preview slot's
 * (`<app>--<preview id>`, see previews.ts). A DNS label, so
 * `<name>.<appsDomain>` is a valid hostname.
 */
export const RoutedAppName = z
  .string()
  .regex(APP_NAME_RE, {
    message: "must be a DNS label: 1-63 characters of a-z, 0-9 and '-', starting with a letter",
  })
  .refine((s) => !s.endsWith("-"), { message: "must not end with '-'" })
  .refine((s) => !RESERVED_APP_NAMES.includes(s), {
    message: `is reserved; reserved names: ${RESERVED_APP_NAMES.join(", ")}`,
  });

/** An app's name: a DNS label without "--", which belongs to preview slots (`<app>--<preview id>`). */
export const AppName = RoutedAppName.refine((s) => !s.includes("--"), {
  message: "must not contain '--' (reserved for preview slots, named <app>--<preview id>)",
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

/** A sha256 digest in lowercase hex. */
export const Sha256 = z
  .string()
  .regex(/^[0-9a-f]{64}$/, { message: "must be a sha256 digest: 64 lowercase hex characters" });

/** Words a class cannot be named (ECMAScript reserved words, and names the wrapper must not shadow). */
const RESERVED_WORDS = new Set(
  (
    "await break case catch class const continue debugger default delete do else enum export extends false finally for " +
    "function if implements import in instanceof interface let new null package private protected public return static " +
    "super switch this throw true try typeof var void while with yield arguments eval undefined NaN Infinity"
  ).split(" "),
);

/** The name of an exported JavaScript class. */
export const ClassName = z
  .string()
  .regex(/^[A-Za-z_$][A-Za-z0-9_$]{0,127}$/, { message: "must be a JavaScript class name" })
  .refine((s) => !RESERVED_WORDS.has(s), { message: "must not be a JavaScript reserved word" })
  .refine((s) => !s.startsWith(HOST_MODULE_PREFIX), {
    message: `must not start with '${HOST_MODULE_PREFIX}' (reserved for the host)`,
  });

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
  .refine((s) => !s.startsWith(HOST_MODULE_PREFIX), {
    message: `must not start with '${HOST_MODULE_PREFIX}' (reserved for the host)`,
  });

/**
 * A record whose keys are names. JSON.parse keeps a "__proto__" key as an own
 * property, but zod drops it silently when it builds the record, so it is
 * refused here, naming it, before zod sees it.
 */
export function nameRecord<K extends z.ZodType<string>, V extends z.ZodType>(key: K, value: V) {
  return z.preprocess(
    (input, ctx) => {
      if (input !== null && typeof input === "object" && Object.hasOwn(input, "__proto__")) {
        ctx.addIssue({ code: "custom", path: ["__proto__"], message: "'__proto__' cannot be a name" });
      }
      return input;
      // The preprocess step changes no type: keep the record's input type for callers.
    },
    z.record(key, value),
  ) as unknown as z.ZodRecord<K, V>;
}

/** An object name given to `env.OBJECTS.get(name)`. */
export const ObjectName = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(LIMITS.maxObjectNameLength, { message: `must be at most ${LIMITS.maxObjectNameLength} characters` })
  // biome-ignore lint/suspicious/noControlCharactersInRegex: refusing them is the point.
  .refine((s) => !/[\u0000-\u001f\u007f]/.test(s), { message: "must not contain control characters" });
