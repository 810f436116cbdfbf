// A todo list whose items live in the app's own SQLite database.
// It has no fetch handler of its own: the host sends every request to object "main".
import { DurableObject } from "cloudflare:workers";

interface Todo {
  id: number;
  text: string;
  done: boolean;
}

export class TodoList extends DurableObject<AppEnv> {
  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS todos (id INTEGER PRIMARY KEY AUTOINCREMENT, text TEXT NOT NULL, done INTEGER NOT NULL DEFAULT 0)",
    );
  }

  list(): Todo[] {
    return this.ctx.storage.sql
      .exec<{ id: number; text: string; done: number }>("SELECT id, text, done FROM todos ORDER BY id")
      .toArray()
      .map((r) => ({ id: r.id, text: r.text, done: r.done === 1 }));
  }

  add(text: string): Todo {
    const row = this.ctx.storage.sql
      .exec<{ id: number }>("INSERT INTO todos (text) VALUES (?) RETURNING id", text)
      .one();
    return { id: row.id, text, done: false };
  }

  override async fetch(request: Request): Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname === "/" || url.pathname === "/todos") {
      if (request.method === "GET") return Response.json(this.list());
      if (request.method === "POST") {
        const body = (await request.json().catch(() => ({}))) as { text?: unknown };
        if (typeof body.text !== "string" || body.text.trim() === "") {
          return Response.json({ error: 'POST {"text": "…"}' }, { status: 400 });
        }
        return Response.json(this.add(body.text.trim()), { status: 201 });
      }
    }
    const done = /^\/todos\/(\d+)\/done$/.exec(url.pathname);
    if (done && request.method === "POST") {
      this.ctx.storage.sql.exec("UPDATE todos SET done = 1 WHERE id = ?", Number(done[1]));
      return Response.json(this.list().find((t) => t.id === Number(done[1])) ?? { error: "no such todo" });
    }
    return Response.json(
      { error: "not found", routes: ["GET /todos", "POST /todos", "POST /todos/:id/done"] },
      { status: 404 },
    );
  }
}
