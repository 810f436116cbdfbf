// Chat rooms: one object (one SQLite database) per room, so maxObjects bounds the rooms.
import { DurableObject } from "cloudflare:workers";

export class ChatRoom extends DurableObject<AppEnv> {
  constructor(ctx: DurableObjectState, env: AppEnv) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, text TEXT NOT NULL, at TEXT NOT NULL)",
    );
  }

  post(user: string, text: string) {
    const at = new Date().toISOString();
    const { id } = this.ctx.storage.sql
      .exec<{ id: number }>("INSERT INTO messages (user, text, at) VALUES (?, ?, ?) RETURNING id", user, text, at)
      .one();
    return { id, user, text, at };
  }

  recent(limit = 50) {
    return this.ctx.storage.sql
      .exec("SELECT id, user, text, at FROM messages ORDER BY id DESC LIMIT ?", limit)
      .toArray()
      .reverse();
  }
}

export default {
  async fetch(request: Request, env: AppEnv): Promise<Response> {
    const url = new URL(request.url);
    const m = /^\/rooms\/([a-z0-9-]{1,40})\/messages$/.exec(url.pathname);
    if (!m)
      return Response.json(
        { error: "not found", routes: ["GET /rooms/:room/messages", "POST /rooms/:room/messages"] },
        { status: 404 },
      );
    const room = env.OBJECTS.get(m[1]!);
    if (request.method === "GET") return Response.json(await room.recent());
    if (request.method === "POST") {
      const body = (await request.json().catch(() => ({}))) as { user?: unknown; text?: unknown };
      if (typeof body.user !== "string" || typeof body.text !== "string") {
        return Response.json({ error: 'POST {"user": "…", "text": "…"}' }, { status: 400 });
      }
      return Response.json(await room.post(body.user.slice(0, 40), body.text.slice(0, 2000)), { status: 201 });
    }
    return Response.json({ error: "use GET or POST" }, { status: 405 });
  },
};
