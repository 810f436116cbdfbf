/**
 * A Workers project on plain workerd, configured from its own wrangler.jsonc
 * as `wrangler dev` would: Miniflare loads its modules from disk by the same
 * module rules (Wrangler's defaults after the file's own `rules`), with its
 * Durable Object bindings, vars and compatibility settings. The baseline of
 * the projects suite: no code of ours between the project and workerd.
 */
import { join } from "node:path";
import { Miniflare } from "miniflare";
import { PROJECTS_DIR, type ProjectSide, readProject } from "./projects.js";

type MiniflareRule = {
  type: "ESModule" | "CommonJS" | "Text" | "Data" | "CompiledWasm";
  include: string[];
  fallthrough?: boolean;
};

const DEFAULT_RULES: MiniflareRule[] = [
  { type: "ESModule", include: ["**/*.js", "**/*.mjs"] },
  { type: "Text", include: ["**/*.txt", "**/*.html", "**/*.sql"] },
  { type: "Data", include: ["**/*.bin"] },
  { type: "CompiledWasm", include: ["**/*.wasm"] },
];

export async function plainProject(name: string): Promise<ProjectSide & { dispose(): Promise<void> }> {
  const dir = join(PROJECTS_DIR, name);
  const w = readProject(name);
  const rules = (w.rules ?? []).map((r) => ({
    type: r.type,
    include: r.globs,
    fallthrough: r.fallthrough,
  })) as MiniflareRule[];
  const mf = new Miniflare({
    modules: true,
    scriptPath: join(dir, w.main),
    modulesRoot: dir,
    modulesRules: [...rules, ...DEFAULT_RULES],
    compatibilityDate: w.compatibility_date,
    compatibilityFlags: w.compatibility_flags ?? [],
    bindings: w.vars ?? {},
    durableObjects: Object.fromEntries(
      (w.durable_objects?.bindings ?? []).map((b) => [b.name, { className: b.class_name, useSQLite: true }]),
    ),
    cf: { colo: "LOCAL", country: "XX" },
  });
  await mf.ready;
  return {
    fetch: (path, init) => mf.dispatchFetch(`http://app.test${path}`, init as never) as unknown as Promise<Response>,
    async scheduled(cron, scheduledTime) {
      const worker = await mf.getWorker();
      return (await worker.scheduled({ cron, scheduledTime: new Date(scheduledTime) })).outcome === "ok";
    },
    dispose: () => mf.dispose(),
  };
}
