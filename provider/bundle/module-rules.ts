/**
 * Wrangler's module rules: which imported files become which module type.
 * `.txt`, `.html` and `.sql` are text, `.bin` data (an ArrayBuffer), `.wasm`
 * compiled WebAssembly (a WebAssembly.Module), and a Wrangler file's `rules`
 * come first, each type's rules ending at its first rule without
 * `fallthrough` (as Wrangler drops the later ones). Text is inlined into the
 * bundle (the same string at run time); Data and CompiledWasm files are
 * modules of their own, named `<sha256 prefix>-<file name>`, as `wrangler
 * deploy` uploads them. With `find_additional_modules`, every file under
 * `base_dir` that a Text, Data or CompiledWasm rule matches is uploaded too,
 * named by its path under `base_dir`, so code may import it by that path.
 */
import type { Plugin } from "esbuild";
import { createHash } from "node:crypto";
import { readFileSync, readdirSync, statSync } from "node:fs";
import { basename, dirname, isAbsolute, join, relative, resolve, sep } from "node:path";
import picomatch from "picomatch";
import { z } from "zod";

/** Wrangler's rule types this platform takes; ESModule and CommonJS files are bundled. */
export const RULE_TYPES = ["ESModule", "CommonJS", "Text", "Data", "CompiledWasm"] as const;
export type RuleType = (typeof RULE_TYPES)[number];

export const ModuleRule = z.strictObject({
  type: z.enum(RULE_TYPES, {
    error: (i) =>
      `'${String(i.input)}' is not a module type this platform takes; allowed: ${RULE_TYPES.join(", ")} (Python modules are not offered)`,
  }),
  globs: z.array(z.string().min(1)).min(1, { message: "must list at least one glob" }),
  fallthrough: z.boolean().optional(),
});
export type ModuleRule = z.infer<typeof ModuleRule>;

/** Wrangler's default rules, after the app's own. */
export const DEFAULT_RULES: readonly ModuleRule[] = [
  { type: "Text", globs: ["**/*.txt", "**/*.html", "**/*.sql"] },
  { type: "Data", globs: ["**/*.bin"] },
  { type: "CompiledWasm", globs: ["**/*.wasm", "**/*.wasm?module"] },
];

/** What a bundle is made with beyond the entry: the rules, and the additional modules' settings. */
export interface ModuleOptions {
  rules?: ModuleRule[];
  findAdditionalModules?: boolean;
  /** Absolute; modules found are named by their path under it. @default the entry's folder */
  baseDir?: string;
}

/** A module beside the bundle: its loader type and base64 (data, wasm) or UTF-8 (text) content. */
export interface ExtraModule {
  type: "data" | "wasm" | "text";
  content: string;
  /** The file, relative to the app folder. */
  file: string;
}

/** The app's rules then the defaults, without the rules a type's earlier rule without fallthrough shadows. */
export function effectiveRules(rules: readonly ModuleRule[] = []): ModuleRule[] {
  const closed = new Set<RuleType>();
  const out: ModuleRule[] = [];
  for (const rule of [...rules, ...DEFAULT_RULES]) {
    if (closed.has(rule.type)) continue;
    out.push(rule);
    if (!rule.fallthrough) closed.add(rule.type);
  }
  return out;
}

/** The rule type of a file (its path relative to the app folder, '/' separated), or null when none matches. */
export function ruleTypeOf(rules: readonly ModuleRule[], path: string): RuleType | null {
  for (const rule of rules) {
    if (rule.globs.some((g) => picomatch(g.replace(/\?module$/, ""), { dot: true })(path))) return rule.type;
  }
  return null;
}

const LOADER_TYPE = { Data: "data", CompiledWasm: "wasm", Text: "text" } as const;

/** A module name the control API takes, for a file. */
function safeName(name: string): string {
  return name.replace(/[^A-Za-z0-9._@+\-/]/g, "_");
}

function contentOf(type: ExtraModule["type"], bytes: Buffer): string {
  return type === "text" ? bytes.toString("utf8") : bytes.toString("base64");
}

/**
 * The esbuild plugin of the rules: Text imports load as text, Data and
 * CompiledWasm imports stay imports of a module of their own, added to
 * `extra` (module name → module).
 */
export function moduleRulesPlugin(
  root: string,
  baseDir: string,
  options: ModuleOptions,
  extra: Map<string, ExtraModule>,
): Plugin {
  const rules = effectiveRules(options.rules);
  return {
    name: "wrangler-module-rules",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === "entry-point" || args.namespace !== "file") return undefined;
        const spec = args.path.replace(/\?module$/, "");
        if (!spec.startsWith(".") && !isAbsolute(spec)) return undefined;
        const abs = resolve(args.resolveDir, spec);
        const type = ruleTypeOf(rules, relative(root, abs).split(sep).join("/"));
        if (type === null || type === "ESModule" || type === "CommonJS") return undefined;
        if (type === "Text") return { path: abs, namespace: "file", pluginData: "text" };
        const bytes = readFileSync(abs);
        const name = options.findAdditionalModules
          ? additionalName(baseDir, abs)
          : `${createHash("sha256").update(bytes).digest("hex").slice(0, 16)}-${safeName(basename(abs))}`;
        extra.set(name, {
          type: LOADER_TYPE[type],
          content: contentOf(LOADER_TYPE[type], bytes),
          file: relative(root, abs),
        });
        return { path: `./${name}`, external: true };
      });
      build.onLoad({ filter: /.*/ }, (args) =>
        args.pluginData === "text" ? { contents: readFileSync(args.path, "utf8"), loader: "text" } : undefined,
      );
    },
  };
}

/** A found module's name: its path under base_dir (one outside it keeps a hashed name). */
function additionalName(baseDir: string, abs: string): string {
  const rel = relative(baseDir, abs).split(sep).join("/");
  if (rel.startsWith("../") || isAbsolute(rel)) {
    return `${createHash("sha256").update(abs).digest("hex").slice(0, 16)}-${safeName(basename(abs))}`;
  }
  return safeName(rel);
}

/** find_additional_modules: every Text, Data and CompiledWasm file under base_dir (node_modules and dot folders aside). */
export function findAdditionalModules(root: string, baseDir: string, options: ModuleOptions): Map<string, ExtraModule> {
  const rules = effectiveRules(options.rules);
  const found = new Map<string, ExtraModule>();
  const walk = (dir: string) => {
    for (const entry of readdirSync(dir).sort()) {
      if (entry === "node_modules" || entry.startsWith(".")) continue;
      const abs = join(dir, entry);
      if (statSync(abs).isDirectory()) {
        walk(abs);
        continue;
      }
      const type = ruleTypeOf(rules, relative(root, abs).split(sep).join("/"));
      if (type === null || type === "ESModule" || type === "CommonJS") continue;
      const t = LOADER_TYPE[type];
      found.set(additionalName(baseDir, abs), {
        type: t,
        content: contentOf(t, readFileSync(abs)),
        file: relative(root, abs),
      });
    }
  };
  walk(baseDir);
  return found;
}

/** The base directory: the one given, else the entry's folder. */
export function baseDirOf(root: string, entry: string, options: ModuleOptions): string {
  return options.baseDir ?? dirname(join(root, entry));
}
