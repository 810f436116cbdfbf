/** runtime.ts bundled into a script declaring `__dw_runtime`, as text, by scripts/build-host.mjs (an esbuild plugin). */
declare module "app-isolate:runtime" {
  const text: string;
  export default text;
}
