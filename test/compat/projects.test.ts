// The Workers projects of test/compat/projects/, each on plain workerd configured from its own
// wrangler.jsonc: the baseline that proves the projects and their assertions right. The same
// assertions run through `pulumi up` on our platform in test/e2e/compat-projects.test.ts.
import { describe, expect, it } from "vitest";
import { plainProject } from "./plain-project.js";
import { PROJECT_CHECKS, projectNames } from "./projects.js";

describe("Workers projects on plain workerd (from their wrangler.jsonc)", () => {
  it("every project folder has its assertions, and there are at least four", () => {
    expect(projectNames().length).toBeGreaterThanOrEqual(4);
    for (const name of projectNames()) expect(PROJECT_CHECKS[name], name).toBeTypeOf("function");
  });

  for (const name of projectNames()) {
    it(name, async () => {
      const side = await plainProject(name);
      try {
        await PROJECT_CHECKS[name]!(side);
      } finally {
        await side.dispose();
      }
    });
  }
});
