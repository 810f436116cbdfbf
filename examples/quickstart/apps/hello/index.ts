// A stateless JSON API: no objects, no outbound calls.
const started = new Date().toISOString();

export default {
  async fetch(request: Request, env: AppEnv): Promise<Response> {
    const url = new URL(request.url);
    switch (url.pathname) {
      case "/":
        return Response.json({ app: "hello", greeting: env.GREETING ?? "hello", isolateStarted: started });
      case "/echo":
        if (request.method !== "POST") return Response.json({ error: "POST a JSON body to /echo" }, { status: 405 });
        return Response.json({ echo: await request.json().catch(() => null) });
      case "/add": {
        const a = Number(url.searchParams.get("a"));
        const b = Number(url.searchParams.get("b"));
        if (!Number.isFinite(a) || !Number.isFinite(b))
          return Response.json({ error: "give numbers a and b" }, { status: 400 });
        return Response.json({ sum: a + b });
      }
      default:
        return Response.json({ error: "not found", routes: ["/", "/echo", "/add?a=1&b=2"] }, { status: 404 });
    }
  },
};
