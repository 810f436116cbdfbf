// bench:apps's apps: distinct code, a few TS files each, imports between
// them (one type-only), every third with a Durable Object class.
import { mkdirSync, writeFileSync } from "node:fs";
import { dirname, join } from "node:path";

const WORDS = [
  "notes",
  "tasks",
  "polls",
  "links",
  "quotes",
  "timers",
  "votes",
  "recipes",
  "books",
  "habits",
  "scores",
  "invoices",
];

function typesFile(i, word) {
  return `// Types for app ${i} (${word}).
export interface Item${i} { id: string; title: string; createdAt: string; tags: string[]; weight: number }
export interface Page<T> { items: T[]; next: string | null }
export type Handler = (request: Request, env: AppEnv, params: URLSearchParams) => Promise<Response> | Response;
`;
}

function utilFile(i) {
  return `import type { Item${i}, Page } from "./types";
export const APP_ID = ${JSON.stringify(`app-${i}`)};
export const SALT = ${i * 7919};
export function json(data: unknown, status = 200): Response {
  return new Response(JSON.stringify(data), { status, headers: { "content-type": "application/json", "x-app": APP_ID } });
}
export function checksum(s: string): number {
  let h = SALT;
  for (let k = 0; k < s.length; k++) h = (Math.imul(h, 31) + s.charCodeAt(k)) | 0;
  return h >>> 0;
}
export function page(items: Item${i}[], limit: number, cursor: string | null): Page<Item${i}> {
  const start = cursor ? items.findIndex((it) => it.id === cursor) + 1 : 0;
  const slice = items.slice(start, start + limit);
  return { items: slice, next: slice.length === limit ? slice[slice.length - 1]!.id : null };
}
export function makeItem(title: string, tags: string[] = []): Item${i} {
  return { id: checksum(title + Date.now()).toString(36), title, createdAt: new Date().toISOString(), tags, weight: title.length % ${3 + (i % 11)} };
}
`;
}

function routesFile(word, routes) {
  const routeLines = [];
  for (let r = 0; r < routes; r++) {
    routeLines.push(`  "/${word}/${r}": (request, env, params) => {
    const n = Number(params.get("n") ?? ${r + 1});
    const items = Array.from({ length: Math.min(n, 50) }, (_, k) => makeItem(\`${word} \${k} of route ${r}\`, ["r${r}", APP_ID]));
    return json({ route: ${r}, method: request.method, greeting: env.GREETING ?? null, ...page(items, 10, params.get("cursor")) });
  },`);
  }
  return `import type { Handler } from "./types";
import { APP_ID, json, makeItem, page } from "./util";
export const routes: Record<string, Handler> = {
${routeLines.join("\n")}
};
`;
}

function storeFile(i, word) {
  return `import { DurableObject } from "cloudflare:workers";
import { checksum, json, makeItem } from "./lib/util";
export class Store${i} extends DurableObject {
  private ready = false;
  private init(): void {
    if (this.ready) return;
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS ${word} (id TEXT PRIMARY KEY, title TEXT NOT NULL, sum INTEGER)");
    this.ready = true;
  }
  async add(title: string): Promise<string> {
    this.init();
    const item = makeItem(title);
    this.ctx.storage.sql.exec("INSERT INTO ${word} VALUES (?, ?, ?)", item.id, item.title, checksum(item.title));
    return item.id;
  }
  async fetch(request: Request): Promise<Response> {
    this.init();
    if (request.method === "POST") return json({ id: await this.add(await request.text()) }, 201);
    return json(this.ctx.storage.sql.exec("SELECT id, title FROM ${word} ORDER BY id LIMIT 100").toArray());
  }
}
`;
}

function indexFile(i, stateful) {
  return `import { routes } from "./lib/routes";
import { APP_ID, json } from "./lib/util";
${stateful ? `export { Store${i} } from "./store";\n` : ""}
export default {
  async fetch(request: Request, env: AppEnv): Promise<Response> {
    const url = new URL(request.url);
${stateful ? `    if (url.pathname.startsWith("/db")) return env.OBJECTS.get("main").fetch(request);\n` : ""}    const handler = routes[url.pathname];
    if (!handler) return json({ error: "not found", app: APP_ID, routes: Object.keys(routes) }, 404);
    return handler(request, env, url.searchParams);
  },
};
`;
}

/** App i's files (every third with a Durable Object class), in the order they are written. */
function appFiles(i) {
  const word = WORDS[i % WORDS.length];
  const stateful = i % 3 === 0;
  const routes = 3 + (i % 5);
  const files = {};
  files["lib/types.ts"] = typesFile(i, word);
  files["lib/util.ts"] = utilFile(i);
  files["lib/routes.ts"] = routesFile(word, routes);
  if (stateful) files["store.ts"] = storeFile(i, word);
  files["index.ts"] = indexFile(i, stateful);
  return { files, durableObject: stateful ? `Store${i}` : null };
}

/** Writes `count` apps under dir; returns each app's name, folder, Durable Object class (or null) and file count. */
export function generateApps(dir, count) {
  const apps = [];
  for (let i = 0; i < count; i++) {
    const name = `app-${String(i).padStart(3, "0")}`;
    const appDir = join(dir, name);
    const { files, durableObject } = appFiles(i);
    for (const [path, text] of Object.entries(files)) {
      mkdirSync(dirname(join(appDir, path)), { recursive: true });
      writeFileSync(join(appDir, path), text);
    }
    apps.push({ name, dir: appDir, durableObject, files: Object.keys(files).length });
  }
  return apps;
}
