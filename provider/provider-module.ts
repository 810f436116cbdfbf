/**
 * The `__provider` text of our dynamic resources, written here instead of
 * made by the SDK's closure serializer. The engine's provider host runs it
 * with require-from-string and calls its `handler()` for the provider
 * object. Written by hand, it is one short line per resource in state
 * (stored twice, in inputs and outputs) where the serializer's was about
 * 3 KB, and a program no longer loads the serializer and the TypeScript
 * parser it runs (about 0.35 s per preview).
 *
 * The host's own `require` resolves from the host's folder, not the
 * project's, so the text resolves this package from the project folder
 * (the process's working folder): its node_modules, or, for a project
 * inside this repository (the quickstart), the package itself through its
 * `exports`. The module must stay loadable under its name for as long as a
 * state may name it: a resource's outputs keep the text it was created with.
 */
export type ProviderModuleName = "app-provider" | "host-worker-provider";

export function providerSource(module: ProviderModuleName, exportName: string): string {
  const id = JSON.stringify(`pulumi-dynamic-workers/internal/${module}`);
  return [
    `exports.handler = () => {`,
    `  let m;`,
    `  try { m = require("node:module").createRequire(process.cwd() + "/")(${id}); }`,
    `  catch (e) { throw new Error("cannot load pulumi-dynamic-workers (${module}) from " + process.cwd() + ": " + String(e && e.message).split("\\n")[0] + "; install the package in the Pulumi project"); }`,
    `  return m.${exportName};`,
    `};`,
  ].join("\n");
}
