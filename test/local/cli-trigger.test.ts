// `dynamic-workers trigger <app> [--cron]` against the real host: the run's outcome, JSON, exit codes.
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { main } from "../../provider/cli/index.js";
import { TOKEN, jsApp, startHost, type TestHost } from "../helpers/host.js";

function capture() {
  const out: string[] = [];
  const err: string[] = [];
  vi.spyOn(console, "log").mockImplementation((...a: unknown[]) => void out.push(a.join(" ")));
  vi.spyOn(console, "error").mockImplementation((...a: unknown[]) => void err.push(a.join(" ")));
  return { out, err };
}

let host: TestHost;
const saved = { ...process.env };
beforeAll(async () => {
  host = await startHost({ config: { cacheTtlSeconds: 0 } });
  process.env.DYNAMIC_WORKERS_CONTROL_URL = host.url.toString();
  process.env.DYNAMIC_WORKERS_CONTROL_TOKEN = TOKEN;
});
afterAll(async () => {
  process.env = saved;
  await host?.dispose();
});
afterEach(() => vi.restoreAllMocks());

describe("dynamic-workers trigger", () => {
  it("runs the handler with the cron given, says so, and exits 1 on a failing run or no such app", async () => {
    await host.control.rollOut(
      "job",
      jsApp(`export default {
  fetch() { return new Response("ok"); },
  scheduled(controller) { if (controller.cron === "13 * * * *") throw new Error("job failed at 13"); },
};`),
      { crons: ["*/10 * * * *"] },
    );
    let c = capture();
    expect(await main(["trigger", "job"])).toBe(0);
    expect(c.out.join("\n")).toBe("job: scheduled('*/10 * * * *') ran");
    vi.restoreAllMocks();
    c = capture();
    expect(await main(["trigger", "job", "--cron", "5 4 * * sun", "--json"])).toBe(0);
    expect(JSON.parse(c.out.join(""))).toMatchObject({ app: "job", cron: "5 4 * * sun", outcome: "ran" });
    expect(await main(["trigger", "job", "--cron", "13 * * * *"])).toBe(1);
    expect(c.err.join("\n")).toMatch(/job: failed: scheduled run of '13 \* \* \* \*' failed: .*job failed at 13/);
    expect((await host.control.errors("job")).errors[0]?.message).toMatch(/job failed at 13/);
    expect(await main(["trigger", "nobody"])).toBe(1);
    expect(c.err.join("\n")).toMatch(/no such app|not_found|no app/i);
    expect(await main(["trigger", "job", "--cron", "99 * * * *"])).toBe(1);
    expect(c.err.join("\n")).toMatch(/cron: .*minute/);
    expect(await main(["trigger"])).toBe(2);
    expect(await main(["trigger", "job", "--cron"])).toBe(2);
  });
});
