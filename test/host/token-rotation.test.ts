// A control-token rotation keeps the token before it working for a stated
// overlap (CONTROL_TOKEN_PREVIOUS until CONTROL_TOKEN_PREVIOUS_UNTIL), on the
// real host in workerd: within it both tokens open the control API; after it,
// or with no valid end, only the new one does; and no refusal names a token.
import { afterAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { type TestHost, startHost } from "../helpers/host.js";

const NEW = "b".repeat(64);
const OLD = "a".repeat(64);
const hosts: TestHost[] = [];
afterAll(async () => {
  await Promise.all(hosts.map((h) => h.dispose()));
});

async function hostWith(until: string | undefined): Promise<TestHost> {
  const bindings: Record<string, string> = { CONTROL_TOKEN_PREVIOUS: OLD };
  if (until !== undefined) bindings.CONTROL_TOKEN_PREVIOUS_UNTIL = until;
  const h = await startHost({ token: NEW, bindings });
  hosts.push(h);
  return h;
}

const as = (h: TestHost, token: string) => new ControlClient({ url: h.url.origin, token });

/** The raw answer to a token, to read what a refusal says. */
async function answer(h: TestHost, token: string): Promise<{ status: number; text: string }> {
  const r = await h.fetch("/_control/v1/apps", { headers: { authorization: `Bearer ${token}` } });
  return { status: r.status, text: await r.text() };
}

describe("control token rotation", () => {
  it("accepts the previous token until the overlap ends, and the new one", async () => {
    const h = await hostWith(new Date(Date.now() + 60 * 60 * 1000).toISOString());
    await expect(as(h, OLD).listApps()).resolves.toBeDefined();
    await expect(as(h, NEW).listApps()).resolves.toBeDefined();
    await expect(as(h, "c".repeat(64)).listApps()).rejects.toMatchObject({ status: 401 });
    expect((await answer(h, "")).status).toBe(401);
  });

  it("refuses the previous token once the overlap has ended, naming no token", async () => {
    const h = await hostWith(new Date(Date.now() - 1000).toISOString());
    await expect(as(h, NEW).listApps()).resolves.toBeDefined();
    const refused = await answer(h, OLD);
    expect(refused.status).toBe(401);
    expect(refused.text).not.toContain(OLD);
    expect(refused.text).not.toContain(NEW);
    // The same refusal as any wrong token: it tells nobody which token was once good.
    expect(refused.text).toBe((await answer(h, "c".repeat(64))).text);
  });

  it("refuses the previous token with no end, or an end that is not a time", async () => {
    for (const until of [undefined, "tomorrow"]) {
      const h = await hostWith(until);
      expect((await answer(h, OLD)).status).toBe(401);
      await expect(as(h, NEW).listApps()).resolves.toBeDefined();
    }
  });
});
