// The apps bench:load deploys through the control API, and the bare Workers of part 3.

const COMPATIBILITY_DATE = "2026-07-01";

export const STATELESS_SOURCE = `
let served = 0;
export default {
  fetch(request, env) {
    const url = new URL(request.url);
    return Response.json({ app: env.APP_NAME, path: url.pathname, served: ++served });
  },
};`;

/** One counter row per object, in the object's own SQLite. */
export const COUNTER_SOURCE = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  constructor(ctx, env) {
    super(ctx, env);
    ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (id INTEGER PRIMARY KEY, n INTEGER NOT NULL)");
  }
  hit() {
    return this.ctx.storage.sql.exec("INSERT INTO hits (id, n) VALUES (1, 1) ON CONFLICT(id) DO UPDATE SET n = n + 1 RETURNING n").one().n;
  }
  count() {
    return this.ctx.storage.sql.exec("SELECT n FROM hits WHERE id = 1").toArray()[0]?.n ?? 0;
  }
}
export default {
  async fetch(request, env) {
    const m = /^\\/(hit|count)\\/([a-z0-9]+)$/.exec(new URL(request.url).pathname);
    if (!m) return new Response("no such route", { status: 404 });
    const object = env.OBJECTS.get(m[2]);
    const count = m[1] === "hit" ? await object.hit() : await object.count();
    return Response.json({ app: env.APP_NAME, object: m[2], count });
  },
};`;

export const QUIET_SOURCE = `export default { fetch() { return new Response("ok"); } };`;
export const CHATTY_SOURCE = `let n = 0;
export default { fetch() { console.log("hit " + ++n); return new Response("ok"); } };`;
/** The plain Workers of part 3's reference (no host), on their own sockets. */
export const BARE_WORKERS = { quiet: QUIET_SOURCE, chatty: CHATTY_SOURCE };

export function jsApp(source, extra = {}) {
  return {
    mainModule: "index.js",
    modules: { "index.js": { type: "js", content: source } },
    compatibilityDate: COMPATIBILITY_DATE,
    ...extra,
  };
}
