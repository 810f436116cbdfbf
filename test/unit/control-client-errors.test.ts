// What the control client says when it cannot reach the host: the URL and
// the cause behind undici's "fetch failed", the token never, and for a local
// address how to start the local target.
import { createServer } from "node:net";
import { describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";

/** A port nothing listens on: bound once, then closed. */
async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((ok) => server.listen(0, "127.0.0.1", ok));
  const port = (server.address() as { port: number }).port;
  await new Promise<void>((ok) => server.close(() => ok()));
  return port;
}

describe("an unreachable control API", () => {
  it("names the URL and the cause, says to start the local target, and never shows the token", async () => {
    const port = await closedPort();
    const token = "secret-token-0123456789abcdef";
    const client = new ControlClient({ url: `http://127.0.0.1:${port}`, token });
    const e = await client.listApps().catch((err: Error) => err);
    expect(e).toBeInstanceOf(Error);
    const message = (e as Error).message;
    expect(message).toContain(`cannot reach the control API at http://127.0.0.1:${port}/_control/v1`);
    expect(message).toMatch(/fetch failed: ECONNREFUSED/);
    expect(message).toContain("is the local target running? Start it with `npx dynamic-workers local`");
    expect(message).not.toContain(token);
  });
});
