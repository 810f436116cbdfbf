// A guestbook whose entries live in the app's own SQLite database (object "main").
import { DurableObject } from "cloudflare:workers";

export class Guestbook extends DurableObject<AppEnv> {
  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS entries (id INTEGER PRIMARY KEY AUTOINCREMENT, name TEXT NOT NULL, at TEXT NOT NULL)",
    );
  }

  override async fetch(request: Request): Promise<Response> {
    if (request.method === "POST") {
      const body = (await request.json().catch(() => ({}))) as { name?: unknown };
      if (typeof body.name !== "string" || body.name.trim() === "")
        return Response.json({ error: 'POST {"name": "…"}' }, { status: 400 });
      this.ctx.storage.sql.exec(
        "INSERT INTO entries (name, at) VALUES (?, ?)",
        body.name.trim().slice(0, 100),
        new Date().toISOString(),
      );
    }
    return Response.json(this.ctx.storage.sql.exec("SELECT name, at FROM entries ORDER BY id DESC LIMIT 50").toArray());
  }
}
