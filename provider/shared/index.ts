/**
 * shared/: the code that runs both in Node (the resources, the client, the
 * CLI) and in workerd (the host Worker), so both sides validate, hash and
 * route the same way. It may import only shared/ itself, zod and web APIs
 * (test/unit/structure.test.ts holds it to that):
 * - schema/: the zod schemas, by subject, and the one list of app settings;
 * - control/: the control API contract (routes, requests, responses, errors);
 * - version-hash.ts: the version hash rule and its one manifest builder;
 * - egress-rule.ts: whether an app's allow-list lets a request out;
 * - rollout-bucket.ts: which version of an app under a gradual rollout serves an object or request.
 */
export * from "./control/errors.js";
export * from "./control/routes.js";
export * from "./egress-rule.js";
export * from "./schema/index.js";
export * from "./version-hash.js";
