// Gradual rollouts on the real host: objects pinned to a version by their name (the same answer on every
// request, and only stable → candidate as the percent rises), stateless requests split by the percent,
// an object's class restarted on its new version with its data kept, the error threshold that stops a
// rollout, and requests that try to pick a version with headers.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { prepareVersion } from "../../provider/control-client/client.js";
import { bucketInCandidate, rolloutBucket } from "../../provider/shared/rollout-bucket.js";
import { jsApp, refusal, startHost, TOKEN, type TestHost } from "../helpers/host.js";

const APP_SOURCE = `
import { DurableObject } from "cloudflare:workers";
export class C extends DurableObject {
  v() { const n = (this.ctx.storage.kv.get("n") ?? 0) + 1; this.ctx.storage.kv.put("n", n); return this.env.V + ":" + n + ":" + this.ctx.id; }
  fetch() { return new Response(this.env.V); }
}
export default { async fetch(request, env) {
  const url = new URL(request.url);
  if (url.pathname === "/many") {
    const from = Number(url.searchParams.get("from")), n = Number(url.searchParams.get("n"));
    const out = [];
    for (let i = from; i < from + n; i++) out.push(await env.C.getByName("o" + i).v());
    return Response.json(out);
  }
  if (url.pathname === "/forge") {
    return env.C.getByName(url.searchParams.get("o")).fetch(new Request("http://o/", { headers: { "x-dw-target": url.searchParams.get("forge") } }));
  }
  if (env.FAIL === "1") throw new Error("the candidate broke");
  return new Response(env.V);
} };`;

const version = (v: string, fail = false) =>
  jsApp(APP_SOURCE, { env: { V: v, ...(fail ? { FAIL: "1" } : {}) } }) as ReturnType<typeof jsApp> & {
    durableObjects: Record<string, string>;
  };
const withNs = (v: ReturnType<typeof version>) => ({ ...v, durableObjects: { C: "C" } });

let host: TestHost;
beforeAll(async () => {
  host = await startHost({ config: { cacheTtlSeconds: 0 } });
});
afterAll(() => host?.dispose());

/** Deploys A, stores B; returns both hashes. */
async function twoVersions(app: string, bFails = false): Promise<{ a: string; b: string }> {
  const a = await host.control.rollOut(app, withNs(version("A")), { quota: { maxObjects: 1000 } });
  const b = await prepareVersion(withNs(version("B", bFails)));
  await host.control.putVersion(app, b);
  return { a: a.versionHash, b: b.versionHash };
}

/** Each object's id, as it reported it: the host pins a namespace object by `\u0001<class>:<id>`. */
const ids = new Map<string, string>();

async function objectVersions(app: string, from: number, n: number): Promise<string[]> {
  const out: string[] = [];
  let k = from;
  for (let i = from; i < from + n; i += 50) {
    const res = await host.fetch(`/apps/${app}/many?from=${i}&n=${Math.min(50, from + n - i)}`);
    expect(res.status).toBe(200);
    for (const answer of (await res.json()) as string[]) {
      const [v, , id] = answer.split(":");
      ids.set(`${app}/o${k++}`, id!);
      out.push(v!);
    }
  }
  return out;
}

const predicted = (app: string, candidate: string, percent: number, name: string) =>
  bucketInCandidate(rolloutBucket(app, candidate, `\u0001C:${ids.get(`${app}/${name}`)}`), percent) ? "B" : "A";

describe("a rollout pins each object to one version", () => {
  it("serves the candidate to about its percent of objects, the same version on every request, and only moves objects forward", async () => {
    const { a, b } = await twoVersions("pinned");
    const N = 300;
    expect(await objectVersions("pinned", 0, N)).toEqual(Array(N).fill("A"));
    const r = await host.control.rollout("pinned", { versionHash: b, percent: 10, expectedStable: a });
    expect(r.rollout).toMatchObject({ stable: a, candidate: b, percent: 10, status: "active" });
    const at10 = await objectVersions("pinned", 0, N);
    const names = Array.from({ length: N }, (_, i) => `o${i}`);
    expect(at10).toEqual(names.map((n) => predicted("pinned", b, 10, n)));
    const share10 = at10.filter((v) => v === "B").length / N;
    // Binomial(300, 0.1): sd 1.7 %; 3 to 20 % is more than four sd either side.
    expect(share10).toBeGreaterThan(0.03);
    expect(share10).toBeLessThan(0.2);
    // Asked again: the same version each.
    expect(await objectVersions("pinned", 0, N)).toEqual(at10);
    await host.control.rollout("pinned", { versionHash: b, percent: 50 });
    const at50 = await objectVersions("pinned", 0, N);
    expect(at50).toEqual(names.map((n) => predicted("pinned", b, 50, n)));
    for (const [i, v] of at10.entries()) if (v === "B") expect(at50[i]).toBe("B");
    expect(at50.filter((v) => v === "B").length / N).toBeGreaterThan(0.35);
    expect(at50.filter((v) => v === "B").length / N).toBeLessThan(0.65);
    // The versions list says who serves what.
    const { versions } = await host.control.listVersions("pinned");
    expect(versions.find((v) => v.versionHash === b)?.share).toBe(50);
    expect(versions.find((v) => v.versionHash === a)?.share).toBe(50);
  }, 120_000);

  it("restarts an object's class on its new version, keeping its data, when the rollout finishes", async () => {
    const { b } = await twoVersions("finish");
    const first = (await (await host.fetch("/apps/finish/many?from=0&n=1")).json()) as string[];
    expect(first[0]).toMatch(/^A:1:/);
    const done = await host.control.rollout("finish", { versionHash: b, percent: 100 });
    expect(done).toMatchObject({ currentVersion: b, rollout: null, changed: true });
    expect(((await (await host.fetch("/apps/finish/many?from=0&n=1")).json()) as string[])[0]).toMatch(/^B:2:/);
  });

  it("cancels on rollback: every object back on the stable version at once", async () => {
    const { a, b } = await twoVersions("cancel");
    await host.control.rollout("cancel", { versionHash: b, percent: 90 });
    expect((await objectVersions("cancel", 0, 50)).filter((v) => v === "B").length).toBeGreaterThan(30);
    const back = await host.control.rollback("cancel");
    expect(back).toMatchObject({ versionHash: a, changed: true });
    expect(await objectVersions("cancel", 0, 50)).toEqual(Array(50).fill("A"));
    expect((await host.control.getApp("cancel"))?.rollout).toBeNull();
  });
});

describe("stateless requests under a rollout", () => {
  it("split by the percent, and keep one version per Cloudflare-Workers-Version-Key", async () => {
    const { b } = await twoVersions("split");
    await host.control.rollout("split", { versionHash: b, percent: 25 });
    let bs = 0;
    for (let i = 0; i < 400; i++) if ((await (await host.fetch("/apps/split/")).text()) === "B") bs++;
    // Binomial(400, 0.25): mean 100, sd 8.7; 55 to 145 is over five sd either side.
    expect(bs).toBeGreaterThan(55);
    expect(bs).toBeLessThan(145);
    for (const key of ["alice", "bob", "carol"]) {
      const want = bucketInCandidate(rolloutBucket("split", b, key), 25) ? "B" : "A";
      for (let i = 0; i < 10; i++) {
        const res = await host.fetch("/apps/split/", { headers: { "cloudflare-workers-version-key": key } });
        expect(await res.text()).toBe(want);
      }
    }
  }, 60_000);
});

describe("the error threshold", () => {
  it("stops a rollout whose candidate fails too often, says why, and does not move it on unless asked", async () => {
    const { a, b } = await twoVersions("breaks", true);
    await host.control.rollout("breaks", { versionHash: b, percent: 50, maxErrorRate: 0.2, minRequests: 20 });
    let info = await host.control.getApp("breaks");
    for (let i = 0; i < 40 && info?.rollout?.status !== "stopped"; i++) {
      // Counts reach AppControl every 100 requests or second; each request may be the one that sends them.
      for (let j = 0; j < 20; j++) await (await host.fetch("/apps/breaks/")).arrayBuffer();
      info = await host.control.getApp("breaks");
    }
    expect(info?.rollout).toMatchObject({ status: "stopped", candidate: b, stable: a });
    expect(info?.rollout?.stoppedReason).toMatch(/failed \d+ of its \d+ requests .* over maxErrorRate 20 %/);
    expect(info?.rollout?.usage[b]?.errors).toBeGreaterThan(0);
    // Everything is back on A.
    for (let i = 0; i < 30; i++) expect(await (await host.fetch("/apps/breaks/")).text()).toBe("A");
    // Errors and usage per version.
    const { errors } = await host.control.errors("breaks");
    expect(errors[0]).toMatchObject({ versionHash: b, message: expect.stringContaining("the candidate broke") });
    expect((await host.control.usage("breaks")).usage.versions?.[b]?.errors).toBeGreaterThan(0);
    // Moving it on is refused with the reason; restart starts it again.
    const e = await refusal(host.control.rollout("breaks", { versionHash: b, percent: 60 }));
    expect(e.status).toBe(409);
    expect(e.code).toBe("rollout_stopped");
    expect(e.message).toMatch(/stopped by the host: the candidate/);
    const again = await host.control.rollout("breaks", { versionHash: b, percent: 10, restart: true });
    expect(again.rollout).toMatchObject({ status: "active", percent: 10, usage: {} });
  }, 60_000);
});

describe("refusals", () => {
  it("refuse a version not stored, a stale expectedStable and a bad percent, changing nothing", async () => {
    const { a, b } = await twoVersions("refused");
    expect((await refusal(host.control.rollout("refused", { versionHash: "0".repeat(64), percent: 10 }))).status).toBe(
      404,
    );
    const stale = await refusal(host.control.rollout("refused", { versionHash: b, percent: 10, expectedStable: b }));
    expect(stale.status).toBe(409);
    const res = await host.fetch("/_control/v1/apps/refused/rollout", {
      method: "POST",
      headers: { authorization: `Bearer ${TOKEN}`, "content-type": "application/json" },
      body: JSON.stringify({ versionHash: b, percent: 0 }),
    });
    expect(res.status).toBe(400);
    expect(JSON.stringify(await res.json())).toMatch(/percent.*at least 0.01/);
    expect(await refusal(host.control.rollout("nope", { versionHash: b, percent: 10 }))).toMatchObject({ status: 404 });
    expect((await host.control.getApp("refused"))?.rollout).toBeNull();
    expect((await host.control.getApp("refused"))?.currentVersion).toBe(a);
  });
});

describe("hostile requests cannot pick a version", () => {
  it("ignore version-override headers and forged supervisor targets", async () => {
    const { b } = await twoVersions("hostile");
    await host.control.rollout("hostile", { versionHash: b, percent: 1 });
    // A key that lands on stable: with every header a client or the app might try, still stable.
    const key = Array.from({ length: 200 }, (_, i) => `k${i}`).find(
      (k) => !bucketInCandidate(rolloutBucket("hostile", b, k), 1),
    )!;
    const forged = {
      "cloudflare-workers-version-key": key,
      "cloudflare-workers-version-overrides": `hostile="${b}"`,
      "x-dw-target": JSON.stringify({ app: "hostile", versionHash: b }),
      "x-dw-version": b,
    };
    for (let i = 0; i < 20; i++)
      expect(await (await host.fetch("/apps/hostile/", { headers: forged })).text()).toBe("A");
    // An object request whose target the app forges (a view with the candidate at 100 %) keeps its pin.
    await objectVersions("hostile", 0, 50);
    const stableObject = Array.from({ length: 50 }, (_, i) => `o${i}`).find(
      (n) => predicted("hostile", b, 1, n) === "A",
    )!;
    const forge = JSON.stringify({
      app: "hostile",
      name: stableObject,
      resolved: { app: "hostile", versionHash: b, deploySeq: 1e9, rollout: { id: b, percent: 100 } },
    });
    const res = await host.fetch(`/apps/hostile/forge?o=${stableObject}&forge=${encodeURIComponent(forge)}`);
    expect(await res.text()).toBe("A");
  });
});
