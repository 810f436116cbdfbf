/**
 * How a serialized dynamic provider finds this package's code at run time.
 * Pulumi evaluates the provider in its provider host, where `require`
 * resolves from the project folder's node_modules. The package's own folder
 * (its quickstart) has no node_modules entry for itself, so there it loads
 * from dist/ directly. Only `require` and `process` are used: it is
 * serialized with the provider.
 */
declare const require: ((id: string) => unknown) & { resolve(id: string): string };

export function providerModule(name: string): unknown {
  try {
    return require(`pulumi-dynamic-workers/internal/${name}`);
  } catch (e) {
    const fs = require("node:fs") as typeof import("node:fs");
    const path = require("node:path") as typeof import("node:path");
    const pkg = path.join(process.cwd(), "package.json");
    const isSelf =
      (e as { code?: string }).code === "MODULE_NOT_FOUND" &&
      fs.existsSync(pkg) &&
      JSON.parse(fs.readFileSync(pkg, "utf8")).name === "pulumi-dynamic-workers";
    if (!isSelf) throw e;
    return require(path.join(process.cwd(), "dist", "provider", `${name}.js`));
  }
}
