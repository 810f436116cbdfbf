/**
 * The one module the host adds to an app (`__dw_main.js`): it imports the
 * app's main module, holds the runtime (runtime.ts bundled at build time
 * into a script declaring `__dw_runtime`, the same text for every app), and
 * calls it with the app's values: the only lines written per app. It
 * re-exports the app's exports, so the loader finds the app's classes; the
 * wrapped class goes out under the class's own name (a string export name,
 * so a class named like a global works). This file runs in the host.
 */
import APP_RUNTIME from "app-isolate:runtime";
import { PROBE_ENTRYPOINT, SCHEDULED_ENTRYPOINT, SEED_ENTRYPOINT, WRAPPER_MODULE } from "./names.js";
import type { AppValues } from "./runtime.js";

/** The host's module to add to an app's modules. */
export function hostModules(mainModule: string, values: AppValues): Record<string, { js: string }> {
  return { [WRAPPER_MODULE]: { js: mainModuleSource(mainModule, values) } };
}

export function mainModuleSource(mainModule: string, values: AppValues): string {
  const spec = JSON.stringify(`./${mainModule}`);
  const lines = [
    `import * as __dw_app from ${spec};`,
    `import { withEnv as __dw_withEnv, WorkerEntrypoint as __dw_WorkerEntrypoint } from "cloudflare:workers";`,
    `export * from ${spec};`,
    APP_RUNTIME,
    `const __dw_wrapped = __dw_runtime.wrapApp(__dw_app, ${JSON.stringify(values)}, __dw_withEnv);`,
  ];
  const classes = [...new Set([values.durableObject, ...Object.values(values.durableObjects)])].filter(
    (c): c is string => c !== null,
  );
  classes.forEach((name, i) => {
    lines.push(
      `const __dw_class${i} = __dw_wrapped.classes[${JSON.stringify(name)}];`,
      `export { __dw_class${i} as ${JSON.stringify(name)} };`,
    );
  });
  lines.push(`export class ${PROBE_ENTRYPOINT} extends __dw_WorkerEntrypoint { ok() { return true; } }`);
  lines.push(
    `export class ${SEED_ENTRYPOINT} extends __dw_WorkerEntrypoint { async run() { if (!__dw_wrapped.seed) return false; await __dw_wrapped.seed(this.env); return true; } }`,
    `export class ${SCHEDULED_ENTRYPOINT} extends __dw_WorkerEntrypoint { run(cron, time) { return __dw_runtime.runScheduled(__dw_wrapped.main, cron, time, this.env, this.ctx); } }`,
  );
  lines.push(`export default __dw_wrapped.main;`);
  return lines.join("\n");
}
