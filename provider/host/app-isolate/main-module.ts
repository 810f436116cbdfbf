/**
 * The one module generated per app: it imports the app's main module and
 * the runtime (`__dw_runtime.js`, runtime.ts bundled at build time), and
 * passes the app's values. It re-exports the app's exports, so the loader
 * finds the app's classes; the wrapped class goes out under the class's own
 * name (a string export name, so a class named like a global works).
 * This module runs in the host, not in the app's isolate.
 */
import APP_RUNTIME from "app-isolate:runtime";
import { RUNTIME_MODULE, WRAPPER_MODULE } from "./names.js";
import type { AppValues } from "./runtime.js";

export { APP_RUNTIME };

/** The wrapper and runtime modules to add to an app's modules. */
export function hostModules(mainModule: string, values: AppValues): Record<string, { js: string }> {
  return { [WRAPPER_MODULE]: { js: mainModuleSource(mainModule, values) }, [RUNTIME_MODULE]: { js: APP_RUNTIME } };
}

export function mainModuleSource(mainModule: string, values: AppValues): string {
  const spec = JSON.stringify(`./${mainModule}`);
  const lines = [
    `import * as __dw_app from ${spec};`,
    `import { wrapApp as __dw_wrap } from ${JSON.stringify(`./${RUNTIME_MODULE}`)};`,
    `export * from ${spec};`,
    `const __dw_wrapped = __dw_wrap(__dw_app, ${JSON.stringify(values)});`,
  ];
  if (values.durableObject) {
    lines.push(
      `const __dw_do = __dw_wrapped.durableObject;`,
      `export { __dw_do as ${JSON.stringify(values.durableObject)} };`,
    );
  }
  lines.push(`export default __dw_wrapped.main;`);
  return lines.join("\n");
}
