// The control API's route table: one entry per method and path, and paths
// that the client builds and the host matches back to the same parameters.
import { describe, expect, it } from "vitest";
import { CONTROL_ROUTES, PATH_PARAMS, matchPath, routePath } from "../../provider/shared/control/routes.js";

describe("control routes", () => {
  it("lists each method and path once, with a schema for every path parameter", () => {
    const routes = Object.values(CONTROL_ROUTES);
    expect(new Set(routes.map((r) => `${r.method} ${r.path}`)).size).toBe(routes.length);
    for (const r of routes) {
      for (const [, k] of r.path.matchAll(/:(\w+)/g)) expect(Object.keys(PATH_PARAMS), r.path).toContain(k);
    }
  });

  it("builds paths with encoded parameters and defined query values, which match back", () => {
    const path = routePath(CONTROL_ROUTES.getSources.path, { app: "a b/c", hash: "f".repeat(64) });
    expect(path).toBe(`/apps/a%20b%2Fc/versions/${"f".repeat(64)}/sources`);
    expect(matchPath(CONTROL_ROUTES.getSources.path, path)).toEqual({ app: "a b/c", hash: "f".repeat(64) });
    expect(matchPath(CONTROL_ROUTES.getVersion.path, path)).toBeNull();
    expect(routePath("/apps", {}, { limit: 2, cursor: undefined })).toBe("/apps?limit=2");
    expect(routePath("/apps", {}, { cursor: "x y&z" })).toBe("/apps?cursor=x+y%26z");
    expect(() => routePath("/apps/:app")).toThrow(/app/);
  });
});
