// Bundles the host Worker (provider/host/index.ts) into one ES module,
// dist/host.js, and writes its sha256 beside it (dist/host.sha256).
import { build } from "esbuild";
import { createHash } from "node:crypto";
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

const root = join(dirname(fileURLToPath(import.meta.url)), "..");
const out = join(root, "dist", "host.js");
mkdirSync(dirname(out), { recursive: true });
const started = Date.now();
const result = await build({
  entryPoints: [join(root, "provider/host/index.ts")],
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
});
const code = result.outputFiles[0].contents;
writeFileSync(out, code);
const sha = createHash("sha256").update(code).digest("hex");
writeFileSync(join(root, "dist", "host.sha256"), `${sha}\n`);
console.log(`host bundle: dist/host.js, ${code.byteLength} bytes, sha256 ${sha.slice(0, 12)}…, ${Date.now() - started} ms`);
