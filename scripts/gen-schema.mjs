// Writes schema/app.schema.json: the JSON Schema of an app folder's app.json,
// generated from the zod schema AppManifest (provider/gitops/manifest.ts) with zod 4's
// z.toJSONSchema. Run after `npm run build` (it reads dist/provider):
//   npm run gen:schema
// test/unit/manifest.test.ts fails when the committed file is stale.
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import { fileURLToPath } from "node:url";

const built = new URL("../dist/provider/gitops/manifest.js", import.meta.url);
if (!existsSync(fileURLToPath(built))) {
  console.error("gen-schema: dist/provider/gitops/manifest.js is missing; run 'npm run build' first.");
  process.exit(1);
}
const { appManifestJsonSchemaText } = await import(built.href);
const out = new URL("../schema/app.schema.json", import.meta.url);
mkdirSync(new URL(".", out), { recursive: true });
writeFileSync(out, appManifestJsonSchemaText());
console.log(`gen-schema: wrote ${fileURLToPath(out)}`);
