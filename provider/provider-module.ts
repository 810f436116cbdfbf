/**
 * How a serialized dynamic provider finds this package's code at run time.
 * Pulumi evaluates the provider in its provider host, whose own `require`
 * resolves from the host's folder, not the project's. So modules are
 * resolved from the project folder (the process's working folder): its
 * node_modules, or, for a project inside this package's own repository (its
 * quickstart), the package itself through its `exports`. Only `require`,
 * `process` and `globalThis` are used: the function is serialized with the
 * provider, and every function it captures costs each App's state a few
 * hundred bytes, twice. What it loads is kept per process, as every check
 * and diff asks again.
 */
declare const require: (id: string) => unknown;

export function providerModule(name: string): unknown {
  const found = ((globalThis as { __dynamicWorkersModules?: Record<string, unknown> }).__dynamicWorkersModules ??= {});
  if (name in found) return found[name];
  const { createRequire } = require("node:module") as typeof import("node:module");
  try {
    return (found[name] = createRequire(`${process.cwd()}/`)(`pulumi-dynamic-workers/internal/${name}`));
  } catch (e) {
    throw new Error(`cannot load pulumi-dynamic-workers (${name}) from ${process.cwd()}: ${(e as Error).message.split("\n")[0]}; install the package in the Pulumi project`);
  }
}
