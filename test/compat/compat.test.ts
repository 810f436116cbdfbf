// The compatibility suite: each app of apps.ts, unchanged, under the same
// assertions on plain workerd (the baseline) and through our host.
import { afterAll, beforeAll, describe, it } from "vitest";
import { COMPAT_APPS } from "./apps.js";
import { type Side, hostSide, plainSide } from "./harness.js";

const sides: Record<string, () => Promise<Side> | Side> = { "plain workerd": plainSide, "our host": hostSide };

for (const [label, start] of Object.entries(sides)) {
  describe(`on ${label}`, () => {
    let side: Side;
    beforeAll(async () => {
      side = await start();
      for (const app of COMPAT_APPS) await side.deploy(app);
    });
    afterAll(() => side?.dispose());
    for (const app of COMPAT_APPS) {
      it(app.name, () =>
        app.check(
          (path, init) => side.fetch(app, path, init),
          (path) => side.socket(app, path),
        ),
      );
    }
  });
}
