// Bundles the host Worker (provider/host/index.ts) into one ES module,
// dist/host.js, and writes its sha256 beside it (dist/host.sha256). The code
// that runs in each app's own isolate (provider/host/app-isolate/runtime.ts)
// is bundled first, on its own, into a script declaring `__dw_runtime`, and
// reaches the host as text through the virtual module "app-isolate:runtime"
// (as miniflare imports its *.worker.ts).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "host.js");
const COMMON = {
  bundle: true,
  format: "esm",
  platform: "neutral",
  target: "es2023",
  conditions: ["workerd", "worker", "browser"],
  mainFields: ["module", "main"],
  external: ["cloudflare:*"],
  minify: false,
  legalComments: "none",
  write: false,
  logLevel: "warning",
};

/** Resolves "app-isolate:runtime" to the runtime's bundled text. */
const appIsolateText = {
  name: "app-isolate-text",
  setup(b) {
    b.onResolve({ filter: /^app-isolate:runtime$/ }, (args) => ({ path: args.path, namespace: "app-isolate" }));
    b.onLoad({ filter: /.*/, namespace: "app-isolate" }, async () => {
      // A script, not a module: the host writes it into each app's main module, whose own lines call it.
      const runtime = await build({
        ...COMMON,
        format: "iife",
        globalName: "__dw_runtime",
        entryPoints: [join(root, "provider/host/app-isolate/runtime.ts")],
      });
      return { contents: `export default ${JSON.stringify(runtime.outputFiles[0].text)};`, loader: "js" };
    });
  },
};

const BUILD_PLACEHOLDER = "dw-host-build-00";

mkdirSync(dirname(out), { recursive: true });
const started = Date.now();
const result = await build({
  ...COMMON,
  entryPoints: [join(root, "provider/host/index.ts")],
  plugins: [appIsolateText],
  define: { __DW_HOST_BUILD__: JSON.stringify(BUILD_PLACEHOLDER) },
});
// The bundle's own digest, written where the placeholder was: it scopes the loader ids (data-plane/worker-code.ts).
const built = result.outputFiles[0].text;
const buildId = createHash("sha256").update(built).digest("hex").slice(0, BUILD_PLACEHOLDER.length);
const code = new TextEncoder().encode(built.replaceAll(BUILD_PLACEHOLDER, buildId));
writeFileSync(out, code);
const sha = createHash("sha256").update(code).digest("hex");
writeFileSync(join(root, "dist", "host.sha256"), `${sha}\n`);
console.log(
  `host bundle: dist/host.js, ${code.byteLength} bytes, sha256 ${sha.slice(0, 12)}…, ${Date.now() - started} ms`,
);
