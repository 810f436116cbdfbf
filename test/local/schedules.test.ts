// Cron triggers on the local target: the schedules API as Cloudflare takes it, the Platform's host
// upload setting its one cron trigger, and the target calling the host's scheduled handler, which
// runs the apps whose crons are due.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { HOST_COMPATIBILITY_DATE, hostBundle } from "../../provider/cloudflare/host-script.js";
import { newControlToken, newSecretsKey, uploadHost } from "../../provider/resources/host-worker/ops.js";
import { startTarget, type Started } from "./helpers.js";

let t: Started;
let control: ControlClient;
beforeAll(async () => {
  t = await startTarget({ quiet: true });
  const token = newControlToken();
  await uploadHost(
    t.cf,
    {
      accountId: "local",
      apiBaseUrl: t.target.apiBaseUrl,
      scriptName: "host",
      compatibilityDate: HOST_COMPATIBILITY_DATE,
      bundleSha256: hostBundle().sha256,
      platformConfig: { cacheTtlSeconds: 0 },
      rotateControlToken: "",
      dataOnDelete: "retain",
    },
    token,
    newSecretsKey(),
  );
  control = new ControlClient({ url: `${t.target.url}/_scripts/host`, token });
});
afterAll(() => t?.stop());

/** An app whose scheduled handler counts its runs in its object; GET / answers the runs. */
const COUNTER = {
  mainModule: "index.js",
  modules: {
    "index.js": {
      type: "js" as const,
      content: `import { DurableObject } from "cloudflare:workers";
export class Runs extends DurableObject {
  async fetch(request) {
    if (request.method === "POST") {
      const runs = (await this.ctx.storage.get("runs")) ?? [];
      runs.push(await request.json());
      await this.ctx.storage.put("runs", runs);
    }
    return Response.json((await this.ctx.storage.get("runs")) ?? []);
  }
}
export default {
  fetch(request, env) { return env.OBJECTS.get("runs").fetch(request); },
  async scheduled(controller, env) {
    await env.OBJECTS.get("runs").fetch("http://runs/", {
      method: "POST",
      body: JSON.stringify({ cron: controller.cron, scheduledTime: controller.scheduledTime }),
    });
  },
};`,
    },
  },
  compatibilityDate: "2026-07-01",
  durableObject: "Runs",
};

const runsOf = async (app: string) =>
  (await (await fetch(`${t.target.url}/_scripts/host/apps/${app}/`)).json()) as {
    cron: string;
    scheduledTime: number;
  }[];

describe("schedules on the local target", () => {
  it("the host upload sets the host's one cron trigger, as the schedules API answers it", async () => {
    const got = await t.cf.workers.scripts.schedules.get("host", { account_id: "local" });
    expect(got.schedules.map((s) => s.cron)).toEqual(["* * * * *"]);
    expect(t.requests.some((r) => r.method === "PUT" && r.path.endsWith("/workers/scripts/host/schedules"))).toBe(true);
  });

  it("refuses a malformed cron by index, and keeps the schedules", async () => {
    await expect(
      t.cf.workers.scripts.schedules.update("host", { account_id: "local", body: [{ cron: "* * * *" }] }),
    ).rejects.toThrow(/body\[0\]\.cron: invalid cron expression '\* \* \* \*'/);
    const got = await t.cf.workers.scripts.schedules.get("host", { account_id: "local" });
    expect(got.schedules.map((s) => s.cron)).toEqual(["* * * * *"]);
  });

  it("a minute's run calls the host's scheduled handler, which runs the apps due", async () => {
    await control.rollOut("hourly", COUNTER, { crons: ["0 * * * *"] });
    await control.rollOut("daily", COUNTER, { crons: ["30 6 * * *"] });
    const at = Date.UTC(2026, 11, 4, 7, 0);
    expect(await t.target.runSchedules(at)).toEqual([{ script: "host", cron: "* * * * *" }]);
    expect(await runsOf("hourly")).toEqual([{ cron: "0 * * * *", scheduledTime: at }]);
    expect(await runsOf("daily")).toEqual([]);
  });

  it("runs the host's cron trigger on its own at the next minute", { timeout: 90_000 }, async () => {
    await control.rollOut("minutely", COUNTER, { crons: ["* * * * *"] });
    let runs = await runsOf("minutely");
    for (let i = 0; i < 80 && runs.length === 0; i++) {
      await new Promise((r) => setTimeout(r, 1000));
      runs = await runsOf("minutely");
    }
    expect(runs[0]?.cron).toBe("* * * * *");
    expect(runs[0]!.scheduledTime % 60_000).toBe(0);
  });
});
