/**
 * An HTTP proxy in front of a real server that can lose answers: a request
 * the test picks is forwarded whole and answered upstream (so whatever it
 * changes has happened), then the client's connection is cut before the
 * answer reaches it, as when a response is lost on the way back.
 */
import { createServer, type IncomingMessage, type Server } from "node:http";

export interface LossyProxy {
  url: string;
  /** Requests whose answer was dropped, as "METHOD path". */
  dropped: string[];
  close(): Promise<void>;
}

/** `drop(req, n)` decides per request, after the upstream answered (the cut waits for it); `n` counts the requests with that method and path so far (1 for the first). */
export async function startLossyProxy(
  upstream: string,
  drop: (req: { method: string; path: string }, n: number) => boolean | Promise<boolean>,
): Promise<LossyProxy> {
  const base = new URL(upstream);
  const seen = new Map<string, number>();
  const dropped: string[] = [];
  const server: Server = createServer(async (req, res) => {
    const method = req.method ?? "GET";
    const path = new URL(req.url ?? "/", base).pathname;
    const key = `${method} ${path}`;
    const n = (seen.get(key) ?? 0) + 1;
    seen.set(key, n);
    try {
      const body = await readBody(req);
      const answer = await fetch(new URL(req.url ?? "/", base), {
        method,
        headers: forwardedHeaders(req),
        body: body.length > 0 ? new Uint8Array(body) : undefined,
      });
      const payload = Buffer.from(await answer.arrayBuffer());
      if (await drop({ method, path }, n)) {
        dropped.push(key);
        req.socket.destroy();
        return;
      }
      res.writeHead(answer.status, Object.fromEntries(answer.headers)).end(payload);
    } catch (e) {
      res.writeHead(502).end(`lossy proxy: ${(e as Error).message}`);
    }
  });
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  return {
    url: `http://127.0.0.1:${port}`,
    dropped,
    close: () =>
      new Promise<void>((ok) => {
        server.closeAllConnections();
        server.close(() => ok());
      }),
  };
}

function readBody(req: IncomingMessage): Promise<Buffer> {
  return new Promise((ok, fail) => {
    const parts: Buffer[] = [];
    req.on("data", (c: Buffer) => parts.push(c));
    req.on("end", () => ok(Buffer.concat(parts)));
    req.on("error", fail);
  });
}

/** The request's headers, less those fetch sets itself. */
function forwardedHeaders(req: IncomingMessage): Headers {
  const headers = new Headers();
  for (const [name, value] of Object.entries(req.headers)) {
    if (value === undefined || ["host", "connection", "content-length", "transfer-encoding"].includes(name)) continue;
    headers.set(name, Array.isArray(value) ? value.join(", ") : value);
  }
  return headers;
}
