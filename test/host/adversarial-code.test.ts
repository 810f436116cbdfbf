// Adversarial suite, code: apps that break on import, export something odd,
// never finish loading, import outside their own modules, or name their
// class to break the host's wrapper. Each fails alone: a version that breaks
// when loaded is refused at deploy (start_failed, with its error, never
// live); one that breaks only when called answers a 500 with a request id,
// its error recorded. Every other app is still served.
//
// Not covered here: an infinite loop in fetch(). The host passes `cpuMs` as
// a limit on every load, but local workerd ignores it, so such an app would
// hold its request forever on this target; Cloudflare ends it.
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { TestHost } from "../helpers/host.js";
import {
  controlRaw,
  deploy,
  deployBystanders,
  expectBystandersServing,
  get,
  getJson,
  startHostileHost,
} from "../helpers/hostile.js";

let host: TestHost;
beforeAll(async () => {
  host = await startHostileHost();
  await deployBystanders(host);
});
afterAll(() => host?.dispose());
afterEach(async () => {
  await expectBystandersServing(host);
});

/**
 * Deploys the app. Refused at deploy (it breaks when loaded): asserts it never
 * went live and returns the refusal. Deployed: asserts it answers a 500
 * app_error twice and returns its newest recorded error.
 */
async function expectFailsAlone(
  app: string,
  source: string,
  extra: Parameters<typeof deploy>[3] = {},
): Promise<string> {
  try {
    await deploy(host, app, source, extra);
  } catch (e) {
    const refused = e as { code?: string; message: string };
    expect(refused.code, refused.message).toBe("start_failed");
    expect((await get(host, `/apps/${app}/`)).status).toBe(404);
    return refused.message;
  }
  let requestId = "";
  for (let i = 0; i < 2; i++) {
    const res = await get(host, `/apps/${app}/`);
    expect(res.status, res.text).toBe(500);
    const body = JSON.parse(res.text) as { error: { code: string; requestId: string; message: string } };
    expect(body.error.code).toBe("app_error");
    requestId = body.error.requestId;
  }
  const errors = (await host.control.errors(app)).errors;
  const mine = errors.find((e) => e.requestId === requestId);
  expect(mine, JSON.stringify(errors)).toBeDefined();
  return mine!.message;
}

describe("apps that fail on import", () => {
  it("throws an Error at the top level", async () => {
    expect(await expectFailsAlone("imp-throw", `throw new Error("import boom"); export default {};`)).toMatch(
      /import boom/,
    );
  });

  it("throws a non-Error whose getters throw too", async () => {
    const msg = await expectFailsAlone(
      "imp-weird-throw",
      `throw { get message() { throw new Error("getter trap"); }, toString() { throw new Error("toString trap"); } };
      export default {};`,
    );
    // workerd cannot describe such a value: older releases said "Uncaught", 2026-11 ones "internal error; reference = …".
    expect(msg).toMatch(/Failed to start Worker|Uncaught|internal error; reference = |does not start/);
  });

  it("awaits forever at the top level", async () => {
    const started = Date.now();
    const msg = await expectFailsAlone(
      "imp-tla",
      `await new Promise(() => {}); export default { fetch() { return new Response("never"); } };`,
    );
    expect(msg).toMatch(/Top-level await in module is unsettled/);
    expect(Date.now() - started).toBeLessThan(20_000);
  });

  it("imports a module that is not there", async () => {
    expect(
      await expectFailsAlone(
        "imp-missing",
        `import x from "./nope.js"; export default { fetch() { return new Response(String(x)); } };`,
      ),
    ).toMatch(/No such module/);
  });
});

describe("weird default exports", () => {
  const cases: [string, string, RegExp][] = [
    ["exp-number", `export default 42;`, /does not export a fetch\(\) function/],
    ["exp-string", `export default "fetch";`, /does not export a fetch\(\) function/],
    ["exp-null", `export default null;`, /does not export a fetch\(\) function/],
    ["exp-none", `export const x = 1;`, /not of type .function or ExportedHandler.|does not export a fetch/],
    [
      "exp-proxy",
      `export default new Proxy({}, { ownKeys() { throw new Error("ownKeys trap"); }, get() { throw new Error("get trap"); } });`,
      /ownKeys trap/,
    ],
    [
      "exp-proxy-fn",
      `export default new Proxy(function () {}, { get() { throw new Error("get trap"); } });`,
      /get trap/,
    ],
    [
      "exp-ctor",
      `import { WorkerEntrypoint } from "cloudflare:workers";
      export default class extends WorkerEntrypoint { constructor(c, e) { super(c, e); throw new Error("ctor boom"); } fetch() { return new Response("x"); } };`,
      /ctor boom/,
    ],
    ["exp-getter", `export default { get fetch() { throw new Error("getter boom"); } };`, /getter boom/],
    [
      "exp-not-response",
      `export default { fetch() { return { status: 200, body: "forged" }; } };`,
      /incorrect type|Response/,
    ],
    ["exp-plain-fn", `export default function () { return new Response("x"); }`, /./],
  ];
  for (const [app, source, error] of cases) {
    it(`${app}: fails alone`, async () => {
      expect(await expectFailsAlone(app, source)).toMatch(error);
    });
  }
});

describe("imports outside the app's own modules", () => {
  it("fail to resolve at load, and never read the host's modules", async () => {
    const attempts: [string, RegExp][] = [
      ["../../something.js", /Invalid module specifier|No such module/],
      ["../../../provider/host/index.ts", /Invalid module specifier|No such module/],
      ["/host.js", /No such module/],
      ["host.js", /No such module/],
      ["./dist/host.js", /No such module/],
      ["node:fs", /No such module/],
    ];
    for (const [spec, error] of attempts) {
      const app = `esc-${attempts.findIndex(([s]) => s === spec)}`;
      const msg = await expectFailsAlone(
        app,
        `import * as m from ${JSON.stringify(spec)}; export default { fetch() { return Response.json(Object.keys(m)); } };`,
      );
      expect(msg, spec).toMatch(error);
    }
  });

  it("fail at dynamic import time too, inside the app", async () => {
    const specs = ["../../something.js", "/host.js", "host.js", "../../../provider/host/index.ts", "/bundle/host.js"];
    await deploy(
      host,
      "esc-dyn",
      `export default {
        async fetch() {
          const out = {};
          for (const s of ${JSON.stringify(specs)}) {
            try { out[s] = "LOADED " + Object.keys(await import(s)).join(","); } catch (e) { out[s] = "ERR " + e.message; }
          }
          return Response.json(out);
        },
      };`,
    );
    const out = await getJson<Record<string, string>>(host, "/apps/esc-dyn/");
    for (const s of specs) expect(out[s], s).toMatch(/^ERR .*(No such module|Invalid module specifier)/);
  });

  it("can import the host's wrapper of itself, which holds nothing of the host", async () => {
    await deploy(
      host,
      "esc-wrapper",
      `import * as w from "./__dw_main.js";
      export default { fetch() { return Response.json({ keys: Object.keys(w), defaultKeys: Object.keys(w.default ?? {}) }); } };`,
    );
    // The wrapper's probe entrypoint (what the host loads before a deploy), its scheduled entrypoint (which runs
    // the app's own scheduled handler) and its seed entrypoint (the app's seed(env) in a preview slot) hold nothing.
    expect(await getJson(host, "/apps/esc-wrapper/")).toEqual({
      keys: ["__dw_probe", "__dw_scheduled", "__dw_seed", "default"],
      defaultKeys: ["fetch"],
    });
  });
});

describe("durableObject names against the host's wrapper", () => {
  /** An app whose class is exported as `exportAs` and declared as `declared`. */
  const classApp = (exportAs: string) => `
    import { DurableObject } from "cloudflare:workers";
    class Impl extends DurableObject { hi() { return "hi from object"; } }
    export { Impl as ${exportAs} };
    export default { async fetch(request, env) { return new Response(await env.OBJECTS.get("a").hi()); } };`;

  it("a class named like a global the wrapper uses breaks only its own app", async () => {
    for (const name of ["Proxy", "Object", "WeakMap", "TypeError"]) {
      await deploy(host, `cls-${name.toLowerCase()}`, classApp(name), { durableObject: name });
      const res = await get(host, `/apps/cls-${name.toLowerCase()}/`);
      expect([200, 500], name).toContain(res.status);
      await expectBystandersServing(host);
    }
  });

  // Once a bug, now fixed: ClassName accepts JavaScript reserved words ("if", "class", "const",
  // "let", …), which the host pastes into `export const <name> = …` of its
  // wrapper module: the upload is taken and every load then fails with a
  // SyntaxError in __dw_main.js. It should be refused at upload, naming durableObject.
  it("refuses a reserved word as durableObject at upload, naming the field", async () => {
    await controlRaw(host, "PUT", "/apps/cls-keyword", "{}");
    const body = JSON.stringify({
      mainModule: "index.js",
      compatibilityDate: "2026-07-01",
      durableObject: "if",
      modules: { "index.js": { type: "js", content: classApp("if") } },
    });
    const r = await controlRaw(host, "POST", "/apps/cls-keyword/versions", body);
    expect(r.status).toBe(400);
    expect(JSON.stringify(r.json.error.issues)).toContain("durableObject");
  });

  // Once a bug, now fixed: the wrapper declares `export const <durableObject> = class …` in the
  // same scope where it uses the globals Proxy, Object and WeakMap, so a class
  // named Proxy or Object (valid names) shadows them and breaks OBJECTS.get()
  // or the wrapper's own startup. Fix: bind the class to a __dw_ name and
  // `export { __dw_do as "<name>" }`, which also accepts any name.
  it("serves an app whose class is named Proxy or Object", async () => {
    for (const name of ["Proxy", "Object"]) {
      await deploy(host, `cls2-${name.toLowerCase()}`, classApp(name), { durableObject: name });
      expect(await get(host, `/apps/cls2-${name.toLowerCase()}/`), name).toEqual({
        status: 200,
        text: "hi from object",
      });
    }
  });
});
