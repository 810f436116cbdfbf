#!/usr/bin/env node
// The `dynamic-workers` command. The CLI is TypeScript built into dist/ by `npm run build`.
import { existsSync } from "node:fs";
import { fileURLToPath } from "node:url";

const cli = new URL("../dist/provider/cli/index.js", import.meta.url);
if (!existsSync(fileURLToPath(cli))) {
  const root = fileURLToPath(new URL("..", import.meta.url));
  console.error(`dynamic-workers: ${fileURLToPath(cli)} is missing; run 'npm run build' in ${root} first.`);
  process.exit(1);
}
const major = Number(process.versions.node.split(".")[0]);
if (major < 22) {
  console.error(
    `dynamic-workers: warning: Node ${process.versions.node}; it needs Node 22 (run it through npx or npm run, which use the project's Node 22).`,
  );
}
const { main } = await import(cli.href);
process.exitCode = await main(process.argv.slice(2));
