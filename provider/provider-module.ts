/**
 * How a serialized dynamic provider finds this package's code at run time.
 * Pulumi evaluates the provider in its provider host, where `require`
 * resolves from the program's folder upward through node_modules. Inside
 * this package's own repository (its quickstart) there is no node_modules
 * entry for the package itself, so there it loads dist/ of the nearest
 * folder above whose package.json is ours. Only `require`, `process` and
 * `globalThis` are used: the function is serialized with the provider. What
 * it found is kept per process, as every check and diff asks again.
 */
declare const require: (id: string) => unknown;

export function providerModule(name: string): unknown {
  // One function, not two: each function the provider captures costs every App's state ~250 bytes, twice.
  const found = ((globalThis as { __dynamicWorkersModules?: Record<string, unknown> }).__dynamicWorkersModules ??= {});
  if (name in found) return found[name];
  try {
    return (found[name] = require(`pulumi-dynamic-workers/internal/${name}`));
  } catch (e) {
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    for (let dir = process.cwd(); (e as { code?: string }).code === "MODULE_NOT_FOUND"; dir = path.dirname(dir)) {
      const pkg = path.join(dir, "package.json");
      if (fs.existsSync(pkg) && JSON.parse(fs.readFileSync(pkg, "utf8")).name === "pulumi-dynamic-workers") {
        return (found[name] = require(path.join(dir, "dist", "provider", `${name}.js`)));
      }
      if (path.dirname(dir) === dir) break;
    }
    throw new Error(`cannot load pulumi-dynamic-workers (${name}) from ${process.cwd()}: ${(e as Error).message.split("\n")[0]}; install the package in the Pulumi project`);
  }
}
