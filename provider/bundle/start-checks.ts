/**
 * What would keep a bundled app from starting, found at preview from
 * esbuild's metafile, so `pulumi preview` refuses it instead of `pulumi up`
 * making it live: a declared Durable Object class the code does not export,
 * an entry with no handler, and `node:*` imports without Node.js
 * compatibility.
 */
import type { Bundle } from "./bundle-app.js";
import { byteSize } from "../shared/byte-size.js";
import { LIMITS } from "../shared/schema/index.js";

/** Flags under which workerd serves `node:*` modules. */
export const NODE_COMPAT_FLAGS = ["nodejs_compat", "nodejs_compat_v2"];

export interface StartIssue {
  /** The App argument at fault. */
  path: string;
  message: string;
}

export function startIssues(
  bundle: Pick<Bundle, "exports" | "nodeImports">,
  spec: {
    durableObject: string | null;
    durableObjects?: Record<string, string>;
    compatibilityFlags: string[];
    /** The argument that gave the entry: `source`, or `mainModule` for inline modules. @default "source" */
    entry?: "source" | "mainModule";
  },
): StartIssue[] {
  const issues: StartIssue[] = [];
  const exported = bundle.exports.filter((e) => e !== "default");
  const declared: [string, string][] = [
    ...(spec.durableObject !== null ? [["durableObject", spec.durableObject] as [string, string]] : []),
    ...Object.entries(spec.durableObjects ?? {}).map(([b, c]): [string, string] => [`durableObjects.${b}`, c]),
  ];
  for (const [path, cls] of declared) {
    if (bundle.exports.includes(cls)) continue;
    const near = exported.find((e) => e.toLowerCase() === cls.toLowerCase());
    issues.push({
      path,
      message:
        `'${cls}' is not exported by the app's code` +
        (near ? `; did you mean '${near}'?` : ` (it exports: ${exported.join(", ") || "nothing by name"})`),
    });
  }
  if (spec.durableObject === null && !bundle.exports.includes("default")) {
    issues.push({
      path: spec.entry ?? "source",
      message:
        "the entry has no default export (export default { fetch(request, env) { … } }) and the app declares no durableObject, so no request could be served",
    });
  }
  if (bundle.nodeImports.length > 0 && !spec.compatibilityFlags.some((f) => NODE_COMPAT_FLAGS.includes(f))) {
    issues.push({
      path: "compatibilityFlags",
      message: `the code imports ${bundle.nodeImports.join(", ")}, which need the 'nodejs_compat' flag`,
    });
  }
  return issues;
}

/**
 * Code over the size the host stores (LIMITS.maxCodeBytes), named at
 * preview with its largest modules, in KB/MB; null when within it.
 */
export function codeSizeIssue(modules: Record<string, { size: number }>): StartIssue | null {
  const sizes = Object.entries(modules).sort(([, a], [, b]) => b.size - a.size);
  const total = sizes.reduce((n, [, m]) => n + m.size, 0);
  if (total <= LIMITS.maxCodeBytes) return null;
  const largest = sizes.slice(0, 3).map(([name, m]) => `${name} ${byteSize(m.size)}`);
  return {
    path: "modules",
    message:
      `the code is ${byteSize(total)} (${largest.join(", ")}${sizes.length > 3 ? ", …" : ""}); ` +
      `at most ${byteSize(LIMITS.maxCodeBytes)} is allowed`,
  };
}
