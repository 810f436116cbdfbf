/**
 * An app folder's manifest, `app.json` (or `app.jsonc`, with comments and
 * trailing commas): what the App resource takes, minus the code, which is
 * the folder itself. The fields reuse the schemas of shared/schema/, so a bad
 * manifest gets the same message as a bad App argument. The JSON Schema in
 * schema/app.schema.json is generated from AppManifest
 * (scripts/gen-schema.mjs), so editors and agents validate as they write.
 *
 * This file reads folders but creates no resource (see load-apps.ts).
 */
import { closest, distance } from "fastest-levenshtein";
import { existsSync, readdirSync, readFileSync, statSync } from "node:fs";
import { join, resolve, sep } from "node:path";
import { z } from "zod";
import { ENTRY_CANDIDATES } from "../bundle/bundle-app.js";
import {
  AssetOptions,
  APP_SETTINGS,
  APP_SETTING_NAMES,
  AppName,
  ClassName,
  CompatibilityDate,
  CompatibilityFlags,
  EnvVarName,
  LIMITS,
  formatIssues,
} from "../shared/schema/index.js";

/** Manifest file names, in the order they are looked for. A folder may hold only one. */
export const MANIFEST_FILES = ["app.json", "app.jsonc"] as const;

/** The entry file, relative to the app folder. */
const EntryPath = z
  .string()
  .min(1, { message: "must not be empty" })
  .max(1024)
  .refine((s) => !s.startsWith("/") && !/^[A-Za-z]:/.test(s), { message: "must be a path relative to the app folder" })
  .refine((s) => s.split(/[\\/]/).every((seg) => seg !== ".."), {
    message: "must stay inside the app folder (no '..')",
  });

/** Every app setting as an optional manifest field, described as APP_SETTINGS describes it. */
function settingFields() {
  type Fields = { [K in keyof typeof APP_SETTINGS]: z.ZodOptional<(typeof APP_SETTINGS)[K]["schema"]> };
  const fields: Record<string, z.ZodType> = {};
  for (const k of APP_SETTING_NAMES) fields[k] = APP_SETTINGS[k].schema.optional().describe(APP_SETTINGS[k].describe);
  return fields as Fields;
}

/** The fields of a manifest, each with what an editor shows on hover. */
const manifestShape = {
  $schema: z.string().optional().describe("The JSON Schema of this file, for editors."),
  name: AppName.optional().describe("The app's name on the platform (a DNS label). Default: the folder's name."),
  entry: EntryPath.optional().describe(
    `The entry file, relative to the folder; bundled with esbuild. Default: the first of ${ENTRY_CANDIDATES.join(", ")}.`,
  ),
  durableObject: ClassName.optional().describe(
    "The exported Durable Object class behind env.OBJECTS, the platform's own API (its SQLite databases).",
  ),
  durableObjects: z
    .record(EnvVarName, ClassName)
    .optional()
    .describe(
      'Durable Object namespace bindings, as in wrangler: binding name in env → exported class, e.g. { "ROOM": "ChatRoom" } gives env.ROOM.getByName(name).',
    ),
  compatibilityDate: CompatibilityDate.optional().describe("The Workers compatibility date, YYYY-MM-DD."),
  compatibilityFlags: CompatibilityFlags.optional().describe("Workers compatibility flags."),
  env: z
    .record(EnvVarName, z.string())
    .refine((e) => Object.keys(e).length <= LIMITS.maxEnvVars, {
      message: `at most ${LIMITS.maxEnvVars} vars are allowed`,
    })
    .optional()
    .describe("Plain-text vars in the app's env (committed: put secrets in the program, not here)."),
  assets: z
    .strictObject({
      directory: z.string().min(1).describe("The folder of files to serve, relative to the app folder."),
      ...AssetOptions.partial().shape,
    })
    .optional()
    .describe("Static assets served before the app's code, as Workers Static Assets serves them (see README)."),
  ...settingFields(),
};

export const MANIFEST_FIELDS = Object.keys(manifestShape);

/** An app folder's `app.json`. */
export const AppManifest = z.strictObject(manifestShape).meta({
  title: "Dynamic Workers app manifest",
  description: "app.json (or app.jsonc) of an app folder loaded by loadApps() of pulumi-dynamic-workers.",
});
export type AppManifest = z.output<typeof AppManifest>;

/** The JSON Schema of AppManifest, as committed in schema/app.schema.json. */
export function appManifestJsonSchema(): Record<string, unknown> {
  return z.toJSONSchema(AppManifest, { io: "input", target: "draft-2020-12" }) as Record<string, unknown>;
}

/** The committed file's exact text. */
export function appManifestJsonSchemaText(): string {
  return `${JSON.stringify(appManifestJsonSchema(), null, 2)}\n`;
}

/**
 * JSONC to JSON: drops `//` and `/* *\/` comments (kept as spaces and
 * newlines, so JSON.parse's line and column stay right) and trailing commas
 * before `}` or `]`. Strings, with their escapes, are left as they are.
 */
export function stripJsonc(text: string): string {
  // Pass 1: comments to blanks.
  let out = "";
  let i = 0;
  const n = text.length;
  while (i < n) {
    const c = text[i]!;
    if (c === '"') {
      const start = i++;
      while (i < n && text[i] !== '"' && text[i] !== "\n") i += text[i] === "\\" ? 2 : 1;
      i = Math.min(i + 1, n);
      out += text.slice(start, i);
    } else if (c === "/" && text[i + 1] === "/") {
      while (i < n && text[i] !== "\n") {
        out += " ";
        i++;
      }
    } else if (c === "/" && text[i + 1] === "*") {
      const end = text.indexOf("*/", i + 2);
      const stop = end === -1 ? n : end + 2;
      out += text.slice(i, stop).replace(/[^\n\r]/g, " ");
      i = stop;
    } else {
      out += c;
      i++;
    }
  }
  // Pass 2: a comma whose next non-blank character closes an object or array.
  let result = "";
  for (let j = 0; j < out.length; j++) {
    const c = out[j]!;
    if (c === '"') {
      const start = j++;
      while (j < out.length && out[j] !== '"' && out[j] !== "\n") j += out[j] === "\\" ? 2 : 1;
      result += out.slice(start, Math.min(j + 1, out.length));
      continue;
    }
    if (c === ",") {
      let k = j + 1;
      while (k < out.length && /\s/.test(out[k]!)) k++;
      if (out[k] === "}" || out[k] === "]") {
        result += " ";
        continue;
      }
    }
    result += c;
  }
  return result;
}

/** One thing wrong with one app folder. */
export interface ManifestProblem {
  /** The folder, as given (joined to the loaded directory). */
  folder: string;
  /** The manifest file name, or null when the problem is the folder itself. */
  file: string | null;
  /** The field, e.g. `quota.maxObjects`, or `(root)`. */
  path: string;
  /** What is wrong and what is allowed. */
  message: string;
}

/** Every bad manifest of a directory, in one error. */
export class ManifestError extends Error {
  /** Every problem; not enumerable, so a printed error shows the message once. */
  declare readonly problems: ManifestProblem[];
  constructor(dir: string, problems: ManifestProblem[]) {
    const folders = new Set(problems.map((p) => p.folder)).size;
    super(
      `${folders} app folder${folders === 1 ? "" : "s"} under '${dir}' ${folders === 1 ? "is" : "are"} not valid; no app was declared:\n` +
        problems.map((p) => `  ${p.file ? join(p.folder, p.file) : p.folder}: ${p.path}: ${p.message}`).join("\n"),
    );
    this.name = "ManifestError";
    Object.defineProperty(this, "problems", { value: problems, enumerable: false });
  }
}

type FieldProblem = Omit<ManifestProblem, "folder" | "file">;

/**
 * The field names of the object at `path` of a manifest (`["quota"]`: the
 * quota's fields), read from the schema itself; [] where no object is.
 */
function fieldsAt(path: readonly PropertyKey[]): string[] {
  let schema: unknown = AppManifest;
  for (const key of [...path, null]) {
    // Through optional, default, pipe and union-of-one-object wrappers, to the object schema.
    for (let i = 0; i < 8 && schema; i++) {
      const def = (schema as { _zod?: { def?: Record<string, unknown> } })._zod?.def;
      if (!def) break;
      if (def.type === "object") break;
      const objects =
        def.type === "union"
          ? (def.options as { _zod: { def: { type: string } } }[]).filter((o) => o._zod.def.type === "object")
          : [];
      schema = objects.length === 1 ? objects[0] : (def.innerType ?? def.in ?? undefined);
    }
    const shape = (schema as { shape?: Record<string, unknown> } | undefined)?.shape;
    if (!shape) return [];
    if (key === null) return Object.keys(shape);
    schema = shape[String(key)];
  }
  return [];
}

/** The field `key` was likely meant to be: the nearest by edit distance, if near enough to be a slip. */
export function didYouMean(key: string, fields: readonly string[]): string | undefined {
  if (fields.length === 0) return undefined;
  const lower = fields.find((f) => f.toLowerCase() === key.toLowerCase());
  if (lower) return lower;
  const near = closest(key, [...fields]);
  return distance(key, near) <= Math.max(2, Math.floor(near.length / 3)) ? near : undefined;
}

/** Parses and validates a manifest's text; `jsonc` allows comments and trailing commas. */
export function parseManifest(
  text: string,
  opts: { jsonc?: boolean } = {},
): { manifest: AppManifest; problems: [] } | { manifest: null; problems: FieldProblem[] } {
  let raw: unknown;
  try {
    raw = JSON.parse(opts.jsonc ? stripJsonc(text) : text.replace(/^\uFEFF/, ""));
  } catch (e) {
    const hint = opts.jsonc ? "" : " (comments and trailing commas need the name app.jsonc)";
    return {
      manifest: null,
      problems: [{ path: "(root)", message: `is not valid JSON: ${(e as Error).message}${hint}` }],
    };
  }
  const problems: FieldProblem[] = [];
  // JSON.parse keeps a "__proto__" key as an own property; a zod record would drop it silently.
  if (raw !== null && typeof raw === "object" && !Array.isArray(raw)) {
    const env = (raw as Record<string, unknown>).env;
    if (env !== null && typeof env === "object" && Object.hasOwn(env, "__proto__")) {
      problems.push({ path: 'env["__proto__"]', message: "'__proto__' cannot be a name" });
    }
  }
  const r = AppManifest.safeParse(raw);
  if (!r.success) {
    for (const issue of r.error.issues) {
      if (issue.code === "unrecognized_keys") {
        const fields = fieldsAt(issue.path);
        for (const key of issue.keys) {
          const near = didYouMean(key, fields);
          const what = issue.path.length === 0 ? "is not a manifest field" : "is not an allowed field here";
          problems.push({
            path: formatIssues(new z.ZodError([{ ...issue, path: [...issue.path, key] }]))[0]!.path,
            message:
              `${what}${near ? `; did you mean '${near}'?` : ""}` +
              (fields.length ? `; allowed fields: ${fields.join(", ")}` : ""),
          });
        }
      } else {
        problems.push(...formatIssues(new z.ZodError([issue])));
      }
    }
  }
  if (problems.length > 0 || !r.success) return { manifest: null, problems };
  return { manifest: r.data, problems: [] };
}

/** An app folder whose manifest is valid, with defaults resolved. */
export interface AppFolder {
  /** The app's name: the manifest's, else the folder's. */
  name: string;
  /** The folder, as given (joined to the loaded directory). */
  folder: string;
  /** The manifest file name. */
  file: string;
  /** What to bundle: the folder, or the entry file the manifest names. */
  source: string;
  manifest: AppManifest;
}

/**
 * Reads every sub-folder of `dir` that holds a manifest and returns them in
 * name order, or throws one ManifestError listing every problem of every
 * folder. Folders without a manifest, hidden folders and node_modules are
 * skipped.
 */
export function readAppFolders(dir: string): AppFolder[] {
  const abs = resolve(dir);
  if (!existsSync(abs) || !statSync(abs).isDirectory()) throw new Error(`loadApps: '${dir}' is not a directory`);
  const problems: ManifestProblem[] = [];
  const apps: AppFolder[] = [];
  const entries = readdirSync(abs, { withFileTypes: true })
    .filter((d) => d.isDirectory() && !d.name.startsWith(".") && d.name !== "node_modules")
    .map((d) => d.name)
    .sort();
  for (const sub of entries) {
    const app = readAppFolder(dir, sub, problems);
    if (app) apps.push(app);
  }
  problems.push(...duplicateNames(apps));
  if (problems.length > 0) throw new ManifestError(dir, problems);
  return apps.sort((a, b) => (a.name < b.name ? -1 : a.name > b.name ? 1 : 0));
}

/** One sub-folder: its app, or undefined (no manifest, or problems, which go to `problems`). */
function readAppFolder(dir: string, sub: string, problems: ManifestProblem[]): AppFolder | undefined {
  const abs = resolve(dir);
  const folder = join(dir, sub);
  const files = MANIFEST_FILES.filter((f) => existsSync(join(abs, sub, f)));
  if (files.length === 0) return undefined;
  if (files.length > 1) {
    problems.push({ folder, file: null, path: "(root)", message: `holds both ${files.join(" and ")}; keep one` });
    return undefined;
  }
  const file = files[0]!;
  const parsed = parseManifest(readFileSync(join(abs, sub, file), "utf8"), { jsonc: file.endsWith(".jsonc") });
  if (!parsed.manifest) {
    problems.push(...parsed.problems.map((p) => ({ folder, file, ...p })));
    return undefined;
  }
  const m = parsed.manifest;
  const before = problems.length;
  let name = m.name;
  if (name === undefined) {
    const r = AppName.safeParse(sub);
    if (r.success) name = sub;
    else {
      const why = formatIssues(r.error)
        .map((i) => i.message)
        .join("; ");
      problems.push({
        folder,
        file,
        path: "name",
        message: `is not set and the folder name '${sub}' is not a valid app name (${why}); set "name"`,
      });
    }
  }
  let source = folder;
  if (m.entry !== undefined) {
    const entryAbs = join(abs, sub, m.entry);
    if (!existsSync(entryAbs) || !statSync(entryAbs).isFile()) {
      problems.push({ folder, file, path: "entry", message: `'${m.entry}' is not a file in the folder` });
    } else source = join(folder, m.entry);
  } else if (!ENTRY_CANDIDATES.some((c) => existsSync(join(abs, sub, c)))) {
    problems.push({
      folder,
      file,
      path: "entry",
      message: `is not set and the folder has none of ${ENTRY_CANDIDATES.join(", ")}; add one or set "entry"`,
    });
  }
  return problems.length === before ? { name: name!, folder, file, source, manifest: m } : undefined;
}

/** A problem for each folder whose app name another folder has too. */
function duplicateNames(apps: AppFolder[]): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const byName = new Map<string, AppFolder[]>();
  for (const a of apps) byName.set(a.name, [...(byName.get(a.name) ?? []), a]);
  for (const [name, same] of byName) {
    if (same.length < 2) continue;
    for (const a of same) {
      const others = same.filter((o) => o !== a).map((o) => o.folder.split(sep).join("/"));
      problems.push({
        folder: a.folder,
        file: a.file,
        path: "name",
        message: `'${name}' is also the name of ${others.join(", ")}; app names must be unique`,
      });
    }
  }
  return problems;
}
