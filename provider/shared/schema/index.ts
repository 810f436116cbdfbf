/**
 * The one definition of what an app, its code, its quota and the platform's
 * limits may be, split by subject. The host's control API, the App resource
 * and the CLI all validate with these schemas, so a bad input gets the same
 * message wherever it is caught first.
 *
 * Everything under shared/ runs in Node and in workerd: it may import only
 * shared/ itself, zod and web APIs.
 */
export * from "./assets.js";
export * from "./compat-flags.js";
export * from "./crons.js";
export * from "./issues.js";
export * from "./limits.js";
export * from "./names.js";
export * from "./platform.js";
export * from "./previews.js";
export * from "./quota.js";
export * from "./rollout.js";
export * from "./settings.js";
export * from "./sources.js";
export * from "./version.js";
