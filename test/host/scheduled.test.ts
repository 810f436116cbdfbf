// Cron triggers on the real host: the host's scheduled() tick fans out to the apps due, the control
// API fires one now, each run counts against requestsPerMinute, and failures land in the app's errors.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { jsApp, refusal, startHost, type TestHost } from "../helpers/host.js";

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ config: { cacheTtlSeconds: 0 } });
});
afterAll(() => host?.dispose());

/**
 * An app whose scheduled handler writes what it saw (and what its probes of
 * the host's other doors did) into its object; GET / reads it back.
 */
const RECORDER = jsApp(
  `import { DurableObject } from "cloudflare:workers";
export class Runs extends DurableObject {
  async fetch(request) {
    const url = new URL(request.url);
    if (request.method === "POST") {
      const runs = (await this.ctx.storage.get("runs")) ?? [];
      runs.push(await request.json());
      await this.ctx.storage.put("runs", runs);
      return new Response("ok");
    }
    return Response.json((await this.ctx.storage.get("runs")) ?? []);
  }
}
async function probe(url) {
  try { const r = await fetch(url); return "reached " + r.status; } catch (e) { return "blocked"; }
}
export default {
  async fetch(request, env) { return env.OBJECTS.get("runs").fetch(request); },
  async scheduled(controller, env, ctx) {
    const seen = { cron: controller.cron, scheduledTime: controller.scheduledTime, noRetry: typeof controller.noRetry };
    if (env.PROBE) {
      seen.control = await probe(env.PROBE + "/_control/v1/apps");
      seen.otherApp = await probe(env.PROBE + "/apps/thrower/");
      seen.otherObject = Object.keys(env).sort().join(",");
    }
    await env.OBJECTS.get("runs").fetch("http://runs/", { method: "POST", body: JSON.stringify(seen) });
  },
};`,
  { durableObject: "Runs" },
);

const THROWER = jsApp(`export default {
  fetch() { return new Response("up"); },
  async scheduled() { throw new Error("the job broke"); },
};`);

type Seen = { cron: string; scheduledTime: number; noRetry: string; control?: string; otherApp?: string };
const runsOf = async (app: string) => (await (await host.fetch(`/apps/${app}/`)).json()) as Seen[];

/** The host's own scheduled handler, as workerd calls it on a cron tick. */
async function tick(scheduledTime: number): Promise<void> {
  const worker = await host.mf.getWorker();
  const r = await worker.scheduled({ scheduledTime: new Date(scheduledTime), cron: "* * * * *" });
  expect(r.outcome).toBe("ok");
}

describe("cron triggers", () => {
  it("a tick runs each app whose cron is due, with Workers' controller, and not the others", async () => {
    await host.control.rollOut("every-five", RECORDER, { crons: ["*/5 * * * *"] });
    await host.control.rollOut("yearly", RECORDER, { crons: ["0 0 1 1 *"] });
    await host.control.rollOut("no-crons", RECORDER);
    const at = Date.UTC(2026, 11, 4, 4, 10); // 04:10 UTC: */5 is due, 1 January is not
    await tick(at);
    expect(await runsOf("every-five")).toEqual([{ cron: "*/5 * * * *", scheduledTime: at, noRetry: "function" }]);
    expect(await runsOf("yearly")).toEqual([]);
    expect(await runsOf("no-crons")).toEqual([]);
    await tick(at + 60_000); // 04:11: not due
    expect(await runsOf("every-five")).toHaveLength(1);
  });

  it("a throwing handler lands in its app's errors and does not stop the other apps' runs", async () => {
    await host.control.rollOut("thrower", THROWER, { crons: ["0 * * * *"], logs: true });
    await host.control.rollOut("after-thrower", RECORDER, { crons: ["0 * * * *"] });
    await tick(Date.UTC(2026, 11, 4, 5, 0));
    expect(await runsOf("after-thrower")).toHaveLength(1);
    const { errors } = await host.control.errors("thrower");
    expect(errors[0]?.message).toMatch(/scheduled run of '0 \* \* \* \*' failed: .*the job broke/);
    const { logs } = await host.control.logs("thrower");
    expect(logs.some((l) => /the job broke/.test(l.message))).toBe(true);
  });

  it("fires now through the control API, with the cron given or the app's first", async () => {
    await host.control.rollOut("fired", RECORDER, { crons: ["0 9 * * mon-fri", "0 18 * * 6L"] });
    const first = await host.control.runScheduled("fired");
    expect(first.run).toMatchObject({ app: "fired", cron: "0 9 * * mon-fri", outcome: "ran" });
    const given = await host.control.runScheduled("fired", { cron: "15 * * * *", scheduledTime: 1_000_000 });
    expect(given.run.outcome).toBe("ran");
    expect((await runsOf("fired")).map((r) => [r.cron, r.scheduledTime])).toEqual([
      ["0 9 * * mon-fri", first.run.scheduledTime],
      ["15 * * * *", 1_000_000],
    ]);
    const thrown = await host.control.runScheduled("thrower");
    expect(thrown.run).toMatchObject({ outcome: "failed", message: expect.stringMatching(/the job broke/) });
  });

  it("refuses a malformed cron, naming the field and what is allowed, and keeps the settings", async () => {
    const e = await refusal(host.control.putApp("fired", { crons: ["*/5 * * *"] }));
    expect(e.status).toBe(400);
    expect(e.message).toMatch(/crons\[0\]: '\*\/5 \* \* \*' has 4 fields; Cloudflare takes exactly five/);
    const tooMany = await refusal(
      host.control.putApp("fired", {
        crons: ["1 * * * *", "2 * * * *", "3 * * * *", "4 * * * *", "5 * * * *", "6 * * * *"],
      }),
    );
    expect(tooMany.message).toMatch(/crons: at most 5 cron triggers/);
    const bad = await refusal(host.control.runScheduled("fired", { cron: "61 * * * *" }));
    expect(bad.message).toMatch(/cron: .*minute/);
    expect((await host.control.getApp("fired"))?.settings.crons).toEqual(["0 9 * * mon-fri", "0 18 * * 6L"]);
  });

  it("a run counts against requestsPerMinute: a run over it is refused and recorded", async () => {
    await host.control.rollOut("metered", RECORDER, { crons: ["* * * * *"], quota: { requestsPerMinute: 1 } });
    const outcomes: string[] = [];
    for (let i = 0; i < 3; i++) outcomes.push((await host.control.runScheduled("metered")).run.outcome);
    expect(outcomes[0]).toBe("ran");
    expect(outcomes).toContain("rate_limited");
    const { errors } = await host.control.errors("metered");
    expect(errors.some((e) => /refused: the app is over its quota of 1 requests per minute/.test(e.message))).toBe(
      true,
    );
  });

  it("a scheduled handler reaches neither the control API nor another app", async () => {
    await host.control.rollOut("prober", { ...RECORDER, env: { PROBE: host.url.origin } }, { crons: ["* * * * *"] });
    expect((await host.control.runScheduled("prober")).run.outcome).toBe("ran");
    const [seen] = await runsOf("prober");
    expect(seen?.control).toBe("blocked");
    expect(seen?.otherApp).toBe("blocked");
    expect((seen as { otherObject?: string }).otherObject).toBe("OBJECTS,PROBE");
  });

  it("handlers that never finish hold the tick no longer than its wait: a later app's run still happens", {
    timeout: 120_000,
  }, async () => {
    const SLEEPER = jsApp(`export default {
  fetch() { return new Response("zzz"); },
  async scheduled() { await scheduler.wait(600_000); },
};`);
    for (let i = 1; i <= 4; i++) await host.control.rollOut(`sleeper-${i}`, SLEEPER, { crons: ["45 * * * *"] });
    await host.control.rollOut("sleepy-recorder", RECORDER, { crons: ["45 * * * *"] });
    const at = Date.UTC(2026, 11, 4, 7, 45);
    await tick(at);
    expect(await runsOf("sleepy-recorder")).toEqual([{ cron: "45 * * * *", scheduledTime: at, noRetry: "function" }]);
    const { errors } = await host.control.errors("sleeper-1");
    expect(errors[0]?.message).toMatch(
      /scheduled run of '45 \* \* \* \*' was still running after 30 s; the tick went on without it/,
    );
  });
});
