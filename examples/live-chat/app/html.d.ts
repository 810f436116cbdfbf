// HTML modules are their text (Wrangler's default module rules).
declare module "*.html" {
  const text: string;
  export default text;
}
