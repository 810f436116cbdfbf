// The real host Worker uploaded to the local target with its bindings, an
// app deployed through the control API, its data kept across a re-upload and
// a restart; one instance per state folder.
import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { startLocalTarget } from "../../provider/local/index.js";
import { LOCK_FILE } from "../../provider/local/lock.js";
import { jsApp, tempDir } from "../helpers/host.js";
import { ACCOUNT, HOST_TOKEN as TOKEN, hostRequest, startTarget, uploadHost, type Started } from "./helpers.js";

const COUNTER = `
import { DurableObject } from "cloudflare:workers";
export class Counter extends DurableObject {
  async fetch() {
    this.ctx.storage.sql.exec("CREATE TABLE IF NOT EXISTS hits (n INTEGER)");
    this.ctx.storage.sql.exec("INSERT INTO hits VALUES (1)");
    return new Response("count=" + this.ctx.storage.sql.exec("SELECT COUNT(*) AS n FROM hits").one().n);
  }
}
export default { fetch(request, env) { return env.OBJECTS.get(new URL(request.url).searchParams.get("o") ?? "main").fetch(request); } };`;

const state = tempDir("dw-local-persist-");
let t: Started;
beforeAll(async () => {
  t = await startTarget({ state: state.path, quiet: true });
});
afterAll(async () => {
  await t?.stop();
  state.remove();
});

const namespaceIds = async (s: Started) =>
  (await s.cf.durableObjects.namespaces.list({ account_id: ACCOUNT })).result.map((n) => `${n.class}=${n.id}`).sort();

describe("the host Worker on the local target", () => {
  it("runs the uploaded host bundle: control API and an app's objects", async () => {
    const result = await uploadHost(t, true);
    expect(result.migration_tag).toBe("v1");
    const control = new ControlClient({ url: t.target.url, token: TOKEN });
    await control.rollOut("counter", jsApp(COUNTER, { durableObject: "Counter" }));
    expect(await (await fetch(`${t.target.url}/apps/counter/?o=a`)).text()).toBe("count=1");
    expect(await (await fetch(`${t.target.url}/apps/counter/?o=a`)).text()).toBe("count=2");
    // By hostname: <app>.<appsDomain> with appsDomain = host.localhost.
    expect((await hostRequest(t.target, "counter.host.localhost", "/?o=a")).text).toBe("count=3");
  });

  it("keeps the data across a re-upload of the host", async () => {
    await uploadHost(t, false);
    expect((await hostRequest(t.target, "host.localhost", "/apps/counter/?o=a")).text).toBe("count=4");
  });

  it("refuses a second instance on the same state folder, naming the one that runs", async () => {
    await expect(startLocalTarget({ port: 0, state: state.path, log: () => {} })).rejects.toThrow(
      new RegExp(`in use by another dynamic-workers local \\(pid ${process.pid}`),
    );
    // The first one still serves.
    expect((await hostRequest(t.target, "host.localhost", "/apps/counter/?o=a")).text).toBe("count=5");
  });

  it("serves the same scripts with the same data and namespace ids after a restart", async () => {
    const ids = await namespaceIds(t);
    expect(ids).toHaveLength(3);
    await t.target.close();
    t = await startTarget({ state: state.path, quiet: true });
    expect(t.target.scripts()).toEqual(["host"]);
    expect(await namespaceIds(t)).toEqual(ids);
    expect((await t.cf.workers.scripts.list({ account_id: ACCOUNT })).result[0]?.migration_tag).toBe("v1");
    expect(await (await fetch(`${t.target.url}/apps/counter/?o=a`)).text()).toBe("count=6");
    const control = new ControlClient({ url: t.target.url, token: TOKEN });
    expect((await control.getApp("counter"))?.objects).toBe(1);
  });

  it("takes over a stale lock left by a dead process", async () => {
    await t.target.close();
    const dead = spawnSync(process.execPath, ["-e", ""]).pid;
    writeFileSync(join(state.path, LOCK_FILE), JSON.stringify({ pid: dead, startedAt: "earlier" }));
    t = await startTarget({ state: state.path, quiet: true });
    expect(await (await fetch(`${t.target.url}/apps/counter/?o=a`)).text()).toBe("count=7");
  });
});
