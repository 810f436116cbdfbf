/**
 * cloudflare/: the host script as the Cloudflare API takes it: host-script.ts (this file: its settings,
 * bundle and Durable Objects), metadata.ts (the upload metadata's schemas), upload-form.ts, host-migrations.ts.
 *
 * Facts about the host Worker that its uploaders (tests, the local target,
 * the Platform resource) share: its compatibility settings and bindings.
 */
import { existsSync, readFileSync } from "node:fs";
import { dirname, join } from "node:path";
import { fileURLToPath } from "node:url";

/** ctx.exports (the app's OBJECTS binding) needs 2025-11-17 or later. */
export const HOST_COMPATIBILITY_DATE = "2026-07-01";
export const HOST_COMPATIBILITY_FLAGS: string[] = [];

/**
 * The host's cron triggers: one, every minute, whose tick runs the apps'
 * own cron triggers that are due (host/data-plane/scheduled-runs.ts).
 */
export const HOST_SCHEDULES = [{ cron: "* * * * *" }] as const;

/** Durable Object bindings of the host: binding name to exported class. */
export const HOST_DURABLE_OBJECTS = {
  CATALOG: "Catalog",
  APP_CONTROL: "AppControl",
  APP_OBJECTS: "AppObject",
} as const;

/** The package root: the nearest folder above this file holding our package.json. */
export function packageRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, "package.json");
    if (existsSync(pkg) && JSON.parse(readFileSync(pkg, "utf8")).name === "pulumi-dynamic-workers") return dir;
    const up = dirname(dir);
    if (up === dir) throw new Error("cannot find the pulumi-dynamic-workers package root");
    dir = up;
  }
}

/** The built host bundle; `npm run build` makes it. */
export function hostBundle(): { path: string; code: string; sha256: string } {
  const root = packageRoot();
  const path = join(root, "dist", "host.js");
  if (!existsSync(path)) throw new Error(`the host bundle ${path} is missing: run 'npm run build'`);
  return {
    path,
    code: readFileSync(path, "utf8"),
    sha256: readFileSync(join(root, "dist", "host.sha256"), "utf8").trim(),
  };
}
