/**
 * Facts about the host Worker that its uploaders (tests, the local target,
 * the Platform resource) share: its compatibility settings and bindings.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** ctx.exports (the app's OBJECTS binding) needs 2025-11-17 or later. */
export const HOST_COMPATIBILITY_DATE = "2026-07-01";
export const HOST_COMPATIBILITY_FLAGS: string[] = [];

/** Durable Object bindings of the host: binding name to exported class. */
export const HOST_DURABLE_OBJECTS = {
  CATALOG: "Catalog",
  APP_CONTROL: "AppControl",
  APP_OBJECTS: "AppObject",
} as const;

const root = join(dirname(fileURLToPath(import.meta.url)), "..");

/** The built host bundle; `npm run build` makes it. */
export function hostBundle(): { path: string; code: string; sha256: string } {
  const path = join(root, "dist", "host.js");
  if (!existsSync(path)) throw new Error(`the host bundle ${path} is missing: run 'npm run build'`);
  return {
    path,
    code: readFileSync(path, "utf8"),
    sha256: readFileSync(join(root, "dist", "host.sha256"), "utf8").trim(),
  };
}
