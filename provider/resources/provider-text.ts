/**
 * The `__provider` text of our dynamic resources, written here instead of
 * made by the SDK's closure serializer. The engine's provider host runs it
 * with require-from-string and calls its `handler()` for the provider
 * object. Written by hand, it is a few short lines per resource in state
 * (stored twice, in inputs and outputs) where the serializer's was about
 * 3 KB, and a program no longer runs the serializer, which parses the
 * provider's source with TypeScript (about 0.3 s per preview).
 *
 * The host's own `require` resolves from the host's folder, not the
 * project's, so the text resolves this package from the project folder
 * (the process's working folder): its node_modules, or, for a project
 * inside this repository (the quickstart), the package itself through its
 * `exports`. The module must stay loadable under its name, with the same
 * export, for as long as a state may name it: a resource's outputs keep the
 * text of its last create or update, which `refresh` and `destroy` run.
 */
/** The package entry points that state names (package.json `exports`): `pulumi-dynamic-workers/providers/<name>`. */
export type ProviderModuleName = "app" | "host-worker";

export function providerSource(module: ProviderModuleName, exportName: string): string {
  return [
    `exports.handler = () => {`,
    `  const id = "pulumi-dynamic-workers/providers/${module}", at = id + " from " + process.cwd();`,
    `  const fix = "; install pulumi-dynamic-workers (this stack's version or later) in the project";`,
    `  let m;`,
    `  try { m = require("node:module").createRequire(process.cwd() + "/")(id); }`,
    `  catch (e) { throw new Error("cannot load " + at + ": " + String(e?.message).split("\\n")[0] + fix); }`,
    `  if (typeof m?.${exportName} !== "object") throw new Error(at + " has no ${exportName}" + fix);`,
    `  return m.${exportName};`,
    `};`,
  ].join("\n");
}
