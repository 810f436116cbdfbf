// Migration plans from each earlier tag, and refusal of an unknown one.
import { describe, expect, it } from "vitest";
import {
  HOST_MIGRATIONS,
  planHostMigrations,
  type TaggedMigration,
} from "../../provider/cloudflare/host-migrations.js";

const history: TaggedMigration[] = [
  { tag: "v1", step: { new_sqlite_classes: ["A", "B"] } },
  { tag: "v2", step: { renamed_classes: [{ from: "B", to: "C" }] } },
  { tag: "v3", step: { deleted_classes: ["A"] } },
];

describe("planHostMigrations", () => {
  it("sends every step to a new script", () => {
    expect(planHostMigrations(undefined, history)).toEqual({ new_tag: "v3", steps: history.map((h) => h.step) });
  });
  it.each([
    ["v1", 1],
    ["v2", 2],
  ])("sends only the steps after %s", (tag, from) => {
    expect(planHostMigrations(tag, history)).toEqual({
      old_tag: tag,
      new_tag: "v3",
      steps: history.slice(from).map((h) => h.step),
    });
  });
  it("sends nothing when the script is up to date", () => {
    expect(planHostMigrations("v3", history)).toBeUndefined();
  });
  it("refuses a tag it does not know, naming it", () => {
    expect(() => planHostMigrations("v9", history)).toThrow(/'v9'.*v1, v2, v3/);
  });
  it("the host's own history creates every class the host binds", () => {
    const created = HOST_MIGRATIONS.flatMap((m) => m.step.new_sqlite_classes ?? []);
    expect(created.sort()).toEqual(["AppControl", "AppObject", "Catalog"]);
  });
});
