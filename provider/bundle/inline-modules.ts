/**
 * What the start checks (start-checks.ts) need of an App's inline `modules`,
 * found the way a source folder's are: esbuild reads the modules as given
 * (nothing is rewritten or stored) and its metafile names the main module's
 * exports, and the `node:*` imports of every module it reaches.
 */
import type { Message, Plugin } from "esbuild";
import { posix } from "node:path";
import { type Bundle, BundleError } from "./bundle-app.js";

const NS = "inline";

/** Module kinds esbuild reads as code; the others (text, data, json, wasm) are left to the runtime. */
const CODE_TYPES = new Set(["js", "cjs"]);

/** A module name as workerd resolves an import of `spec` from `importer`: relative to the importer's folder. */
function resolvedName(spec: string, importer: string): string {
  return spec.startsWith("./") || spec.startsWith("../")
    ? posix.normalize(posix.join(posix.dirname(importer), spec))
    : spec.replace(/^\//, "");
}

function location(m: Message): string {
  const file = (m.location?.file ?? "").replace(new RegExp(`^${NS}:`), "");
  return m.location ? `module '${file}' ${m.location.line}:${m.location.column + 1}: ${m.text}` : m.text;
}

/**
 * The main module's export names and the `node:*` modules imported, sorted;
 * null when the main module is not among the modules or not an ES module
 * (the version schema names those). Syntax errors throw a BundleError
 * naming the module, line and column.
 */
export async function inlineModuleFacts(
  modules: Record<string, { type: string; content: string }>,
  mainModule: string,
): Promise<Pick<Bundle, "exports" | "nodeImports"> | null> {
  if (modules[mainModule]?.type !== "js") return null;
  const nodeImports = new Set<string>();
  const plugin: Plugin = {
    name: "inline-modules",
    setup(build) {
      build.onResolve({ filter: /.*/ }, (args) => {
        if (args.kind === "entry-point") return { path: args.path, namespace: NS };
        if (args.path.startsWith("node:")) nodeImports.add(args.path);
        const name = resolvedName(args.path, args.importer);
        // Runtime modules, other kinds of module and names the runtime resolves itself stay imports.
        if (!CODE_TYPES.has(modules[name]?.type ?? "")) return { path: args.path, external: true };
        return { path: name, namespace: NS };
      });
      build.onLoad({ filter: /.*/, namespace: NS }, (args) => ({
        contents: modules[args.path]!.content,
        loader: "js",
      }));
    },
  };
  const { build } = await import("esbuild");
  try {
    const result = await build({
      entryPoints: [mainModule],
      bundle: true,
      format: "esm",
      platform: "neutral",
      target: "es2023",
      write: false,
      metafile: true,
      logLevel: "silent",
      outfile: "out.js",
      plugins: [plugin],
    });
    const meta = Object.values(result.metafile.outputs)[0];
    return { exports: [...(meta?.exports ?? [])].sort(), nodeImports: [...nodeImports].sort() };
  } catch (e) {
    const locations = ((e as { errors?: Message[] }).errors ?? []).map(location);
    throw new BundleError(`cannot read the inline modules: ${locations.join("; ") || (e as Error).message}`, locations);
  }
}
