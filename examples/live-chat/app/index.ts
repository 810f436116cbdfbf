// Live chat rooms, written as an ordinary Workers project: wrangler.jsonc
// declares the entry, a Durable Object per room (env.ROOMS) and the static
// assets (public/index.html is the page, served before this code runs),
// WebSockets use the Hibernation API, and the last messages stay in the
// room's SQLite database.
import { DurableObject } from "cloudflare:workers";

interface Env {
  ROOMS: DurableObjectNamespace<ChatRoom>;
}

interface Message {
  user: string;
  text: string;
}

export class ChatRoom extends DurableObject<Env> {
  constructor(ctx: DurableObjectState, env: Env) {
    super(ctx, env);
    ctx.storage.sql.exec(
      "CREATE TABLE IF NOT EXISTS messages (id INTEGER PRIMARY KEY AUTOINCREMENT, user TEXT NOT NULL, text TEXT NOT NULL)",
    );
  }

  override async fetch(request: Request): Promise<Response> {
    const user = (new URL(request.url).searchParams.get("user") ?? "guest").slice(0, 40);
    const { 0: client, 1: server } = new WebSocketPair();
    this.ctx.acceptWebSocket(server);
    server.serializeAttachment({ user });
    // The newcomer gets the recent history, then everyone hears who joined.
    const recent = this.ctx.storage.sql
      .exec<{ user: string; text: string }>("SELECT user, text FROM messages ORDER BY id DESC LIMIT 20")
      .toArray()
      .reverse();
    for (const m of recent) server.send(JSON.stringify(m));
    this.broadcast({ user, text: "joined" });
    return new Response(null, { status: 101, webSocket: client });
  }

  override webSocketMessage(ws: WebSocket, message: string | ArrayBuffer): void {
    const { user } = ws.deserializeAttachment() as { user: string };
    const text = String(message).slice(0, 2000);
    this.ctx.storage.sql.exec("INSERT INTO messages (user, text) VALUES (?, ?)", user, text);
    this.broadcast({ user, text });
  }

  override webSocketClose(ws: WebSocket, code: number): void {
    ws.close(code, "bye");
  }

  private broadcast(m: Message): void {
    const text = JSON.stringify(m);
    for (const peer of this.ctx.getWebSockets()) peer.send(text);
  }
}

export default {
  fetch(request: Request, env: Env): Response | Promise<Response> {
    const url = new URL(request.url);
    const ws = /^\/rooms\/([a-z0-9-]{1,40})\/ws$/.exec(url.pathname);
    if (ws) {
      if (request.headers.get("Upgrade") !== "websocket") return new Response("expected a WebSocket", { status: 426 });
      return env.ROOMS.getByName(ws[1]!).fetch(request);
    }
    return new Response("not found", { status: 404 });
  },
};
