/** runtime.ts bundled into one ES module's text by scripts/build-host.mjs (an esbuild plugin). */
declare module "app-isolate:runtime" {
  const text: string;
  export default text;
}
