// An app's secrets on the real host Worker: the app gets their values, no
// answer of the control API holds one, the version hash covers them through
// a digest keyed with the host's SECRETS_KEY (the client predicts it), and a
// rollback brings back the secrets of the version it goes back to.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient, prepareVersion } from "../../provider/control-client/client.js";
import { jsApp, refusal, SECRETS_KEY, startHost, type TestHost, TOKEN } from "../helpers/host.js";

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ config: { cacheTtlSeconds: 0 } });
});
afterAll(() => host?.dispose());

const SHOW_PIN = "export default { fetch(request, env) { return new Response(env.PIN + ' ' + env.MODE); } };";
const version = (pin: string) => ({ ...jsApp(SHOW_PIN, { env: { MODE: "plain" } }), secrets: { PIN: pin } });

/** Every answer of the control API about an app, as one text. */
async function everyAnswer(app: string): Promise<string> {
  const c = host.control;
  const answers: unknown[] = [
    await c.call("getPlatform"),
    await c.listApps(),
    await c.getApp(app),
    await c.usage(app),
    await c.logs(app),
    await c.errors(app),
  ];
  const { versions } = await c.listVersions(app);
  answers.push(versions);
  for (const v of versions) {
    answers.push(await c.getVersion(app, v.versionHash), await c.getVersion(app, v.versionHash, false));
    answers.push(await c.getSources(app, v.versionHash));
  }
  return JSON.stringify(answers);
}

describe("secrets", () => {
  it("reach the app, and no control API answer holds their values", async () => {
    const prepared = await prepareVersion(version("pin-value-1"), SECRETS_KEY);
    const out = await host.control.rollOut("vault", version("pin-value-1"));
    expect(out.versionHash).toBe(prepared.versionHash);
    expect(await (await host.fetch("/apps/vault/")).text()).toBe("pin-value-1 plain");
    const { version: detail } = await host.control.getVersion("vault", out.versionHash);
    expect(detail.manifest.env).toEqual({ MODE: "plain" });
    expect(detail.manifest.secrets).toEqual({ names: ["PIN"], digest: expect.stringMatching(/^[0-9a-f]{64}$/) });
    const text = await everyAnswer("vault");
    expect(text).toContain("plain");
    expect(text).not.toContain("pin-value-1");
    expect(text).not.toContain(SECRETS_KEY);
  });

  it("are part of the version: a new value is a new version, and a rollback brings the old value back", async () => {
    const first = (await host.control.getApp("vault"))!.currentVersion;
    const second = await host.control.rollOut("vault", version("pin-value-2"));
    expect(second.versionHash).not.toBe(first);
    expect(await (await host.fetch("/apps/vault/")).text()).toBe("pin-value-2 plain");
    await host.control.rollback("vault");
    expect((await host.control.getApp("vault"))!.currentVersion).toBe(first);
    expect(await (await host.fetch("/apps/vault/")).text()).toBe("pin-value-1 plain");
  });

  it("hash only under the platform's key: another key, another hash; no key, no hash", async () => {
    const a = await prepareVersion(version("1234"), SECRETS_KEY);
    const b = await prepareVersion(version("1234"), `${SECRETS_KEY}x`);
    expect(a.versionHash).not.toBe(b.versionHash);
    await expect(prepareVersion(version("1234"))).rejects.toThrow(/secrets: give the platform's secretsKey/);
    // A host told another key computes another hash, and the client says so.
    const wrong = new ControlClient({ url: host.url.toString(), token: TOKEN, secretsKey: `${SECRETS_KEY}x` });
    await expect(wrong.rollOut("vault", version("1234"))).rejects.toThrow(/client and host disagree/);
  });

  it("refuses a name that is both an env var and a secret, naming it", async () => {
    const e = await refusal(
      host.control.call("putVersion", {
        params: { app: "vault" },
        body: { ...jsApp(SHOW_PIN, { env: { PIN: "plain" } }), secrets: { PIN: "secret" } },
      }),
    );
    expect(e.status).toBe(400);
    expect(e.issues).toEqual([{ path: "secrets.PIN", message: "'PIN' is both an env var and a secret; use one" }]);
  });

  it("a host without SECRETS_KEY refuses a version with secrets (503), and takes one without", async () => {
    const old = await startHost({ secretsKey: null });
    try {
      const c = new ControlClient({ url: old.url.toString(), token: TOKEN, secretsKey: SECRETS_KEY });
      const e = await refusal(c.rollOut("vault", version("1234")));
      expect(e.status).toBe(503);
      expect(e.code).toBe("secrets_disabled");
      expect(e.issues.map((i) => i.path)).toEqual(["secrets"]);
      expect(e.message).not.toContain("1234");
      await c.rollOut("plain", jsApp(SHOW_PIN));
    } finally {
      await old.dispose();
    }
  });
});
