// Uploads Cloudflare refuses are refused locally too, with its status,
// error code and a message naming what is wrong; a refused upload changes
// nothing, and the script that ran before keeps serving.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { UPLOAD_REQUEST_OPTIONS } from "../../provider/cloudflare/upload-form.js";
import type { ScriptMetadata } from "../../provider/cloudflare/metadata.js";
import {
  ACCOUNT,
  DATE,
  esm,
  hostRequest,
  refusal,
  startTarget,
  upload,
  uploadUnchecked,
  type Started,
} from "./helpers.js";

const CLASSES = `
import { DurableObject } from "cloudflare:workers";
export class A extends DurableObject {}
export class B extends DurableObject {}
export class C extends DurableObject {}
export default { fetch() { return new Response("v1"); } };`;

const base = (extra: Partial<ScriptMetadata> = {}): ScriptMetadata => ({
  main_module: "index.js",
  compatibility_date: DATE,
  ...extra,
});

let t: Started;
beforeAll(async () => {
  t = await startTarget({ quiet: true });
  // "val" has classes A (SQLite) and B at tag v1.
  await upload(
    t.cf,
    "val",
    base({
      bindings: [{ type: "durable_object_namespace", name: "A", class_name: "A" }],
      migrations: { new_tag: "v1", steps: [{ new_sqlite_classes: ["A"], new_classes: ["B"] }] },
    }),
    esm(CLASSES),
  );
});
afterAll(() => t?.stop());

async function expectUnchanged() {
  const s = (await t.cf.workers.scripts.list({ account_id: ACCOUNT })).result.find((x) => x.id === "val");
  expect(s?.migration_tag).toBe("v1");
  const classes = (await t.cf.durableObjects.namespaces.list({ account_id: ACCOUNT })).result
    .filter((n) => n.script === "val")
    .map((n) => n.class)
    .sort();
  expect(classes).toEqual(["A", "B"]);
  expect((await hostRequest(t.target, "val.localhost")).text).toBe("v1");
}

describe("the SDK's broken default upload shape (cloudflare-typescript#2799)", () => {
  const broken = {
    main_module: "index.js",
    compatibility_date: DATE,
    bindings: [{ type: "plain_text" as const, name: "X", text: "y" }],
  };
  const file = new File(["export default { fetch() { return new Response('x'); } };"], "index.js", {
    type: "application/javascript+module",
  });

  it("refuses plain-object metadata sent as application/javascript with 10021", async () => {
    const r = await refusal(
      t.cf.workers.scripts.update("val", { account_id: ACCOUNT, metadata: broken, files: [file] }),
    );
    expect(r).toMatchObject({ status: 400, codes: [10021] });
    expect(r.message).toMatch(/^could not read content for part metadata/);
    expect(t.requests.at(-1)!.contentType).toBe("application/javascript");
    await expectUnchanged();
  });

  it("refuses bracket-encoded metadata fields even in a multipart body", async () => {
    const r = await refusal(
      t.cf.workers.scripts.update(
        "val",
        { account_id: ACCOUNT, metadata: broken, files: [file] },
        UPLOAD_REQUEST_OPTIONS as never,
      ),
    );
    expect(r).toMatchObject({ status: 400, codes: [10021] });
    expect(r.message).toMatch(/could not read content for part metadata.*metadata\[/);
    expect(t.requests.at(-1)!.parts!.some((p) => p.field.startsWith("metadata["))).toBe(true);
    await expectUnchanged();
  });
});

describe("metadata and modules", () => {
  const cases: [string, () => Promise<unknown>, number, RegExp][] = [
    [
      "an unknown binding type",
      () => uploadUnchecked(t.cf, "val", base({ bindings: [{ type: "kv_store", name: "KV" } as never] }), esm(CLASSES)),
      10021,
      /bindings\[0\].*unknown binding type "kv_store"/,
    ],
    [
      "a main module that is not among the parts",
      () => uploadUnchecked(t.cf, "val", base(), esm(CLASSES, "other.js")),
      10021,
      /No such module "index.js".*other\.js/,
    ],
    [
      "metadata failing the schema, naming the field",
      () => uploadUnchecked(t.cf, "val", { ...base(), compatibility_date: "tomorrow", routes: [] }, esm(CLASSES)),
      10021,
      /metadata\.compatibility_date: must be YYYY-MM-DD.*routes/,
    ],
    [
      "a binding name used twice",
      () =>
        upload(
          t.cf,
          "val",
          base({
            bindings: [
              { type: "plain_text", name: "X", text: "1" },
              { type: "json", name: "X", json: 2 },
            ],
          }),
          esm(CLASSES),
        ),
      10021,
      /'X' is used more than once/,
    ],
    [
      "a script that does not start on workerd",
      () => upload(t.cf, "val", base(), esm("export default {")),
      10021,
      /failed to start on workerd.*SyntaxError/s,
    ],
  ];
  it.each(cases)("refuses %s", async (_what, call, code, message) => {
    const r = await refusal(call());
    expect(r).toMatchObject({ status: 400, codes: [code] });
    expect(r.message).toMatch(message);
    await expectUnchanged();
  });

  it("refuses the same through a plain fetch of a FormData", async () => {
    const form = new FormData();
    form.set("metadata", new File([JSON.stringify(base())], "metadata.json", { type: "application/json" }));
    form.append("files[]", new File(["export default {}"], "other.js", { type: "application/javascript+module" }));
    const res = await fetch(`${t.target.apiBaseUrl}/accounts/${ACCOUNT}/workers/scripts/val`, {
      method: "PUT",
      body: form,
      headers: { authorization: "Bearer x" },
    });
    expect(res.status).toBe(400);
    const body = (await res.json()) as { errors: { code: number; message: string }[] };
    expect(body.errors[0]).toMatchObject({ code: 10021, message: expect.stringMatching(/No such module "index.js"/) });
  });

  it("refuses an invalid script name", async () => {
    expect(await refusal(upload(t.cf, "Bad_Name", base(), esm(CLASSES)))).toMatchObject({
      status: 400,
      codes: [10016],
    });
  });
});

describe("durable object bindings and migrations", () => {
  const cases: [string, Partial<ScriptMetadata>, number, RegExp][] = [
    [
      "a binding to a class no migration created",
      { bindings: [{ type: "durable_object_namespace", name: "C", class_name: "C" }] },
      10061,
      /class 'C' because it is not currently configured to implement Durable Objects/,
    ],
    [
      "a binding to another script's class that does not exist",
      { bindings: [{ type: "durable_object_namespace", name: "Z", class_name: "Z", script_name: "nobody" }] },
      10061,
      /class 'Z' of script 'nobody'/,
    ],
    [
      "a migration whose old_tag is not the current tag",
      { migrations: { old_tag: "v0", new_tag: "v2", steps: [{ new_classes: ["C"] }] } },
      10079,
      /old_tag is 'v0', but the script's current migration tag is 'v1'/,
    ],
    [
      "a migration without old_tag on a script that has a tag",
      { migrations: { new_tag: "v2", steps: [{ new_classes: ["C"] }] } },
      10079,
      /old_tag is '', but the script's current migration tag is 'v1'/,
    ],
    [
      "renaming a class that does not exist",
      { migrations: { old_tag: "v1", new_tag: "v2", steps: [{ renamed_classes: [{ from: "Nope", to: "C" }] }] } },
      10074,
      /renamed_classes: cannot rename class 'Nope', which does not exist/,
    ],
    [
      "renaming a class onto one that exists",
      { migrations: { old_tag: "v1", new_tag: "v2", steps: [{ renamed_classes: [{ from: "B", to: "A" }] }] } },
      10074,
      /cannot rename class 'B' to 'A', which already exists/,
    ],
    [
      "deleting a class that does not exist",
      { migrations: { old_tag: "v1", new_tag: "v2", steps: [{ deleted_classes: ["Nope"] }] } },
      10074,
      /deleted_classes: cannot delete class 'Nope', which does not exist/,
    ],
    [
      "a new class that already exists",
      { migrations: { old_tag: "v1", new_tag: "v2", steps: [{ new_sqlite_classes: ["A"] }] } },
      10074,
      /new_sqlite_classes: cannot apply a new-class migration to class 'A', which already exists/,
    ],
    [
      "deleting a class a binding still references",
      {
        bindings: [{ type: "durable_object_namespace", name: "A", class_name: "A" }],
        migrations: { old_tag: "v1", new_tag: "v2", steps: [{ deleted_classes: ["A"] }] },
      },
      10061,
      /deleted_classes migration to class 'A' without also removing the binding 'A'/,
    ],
  ];
  it.each(cases)("refuses %s", async (_what, extra, code, message) => {
    const r = await refusal(upload(t.cf, "val", base(extra), esm(CLASSES)));
    expect(r).toMatchObject({ status: 400, codes: [code] });
    expect(r.message).toMatch(message);
    await expectUnchanged();
  });

  it("refuses a new version that no longer exports a class existing objects depend on", async () => {
    const r = await refusal(
      upload(t.cf, "val", base(), esm("export default { fetch() { return new Response('v2'); } };")),
    );
    expect(r).toMatchObject({ status: 400, codes: [10064] });
    expect(r.message).toMatch(/does not export class '(A|B)'/);
    await expectUnchanged();
  });

  it("applies rename and delete steps in order, keeping the renamed namespace's id", async () => {
    const before = (await t.cf.durableObjects.namespaces.list({ account_id: ACCOUNT })).result.find(
      (n) => n.script === "val" && n.class === "B",
    )!;
    const source = CLASSES.replace("export class B ", "export class B2 ");
    await upload(
      t.cf,
      "val",
      base({
        bindings: [{ type: "durable_object_namespace", name: "A", class_name: "A" }],
        migrations: {
          old_tag: "v1",
          new_tag: "v2",
          steps: [{ renamed_classes: [{ from: "B", to: "B2" }] }, { new_classes: ["C"] }, { deleted_classes: ["C"] }],
        },
      }),
      esm(source),
    );
    const after = (await t.cf.durableObjects.namespaces.list({ account_id: ACCOUNT })).result.filter(
      (n) => n.script === "val",
    );
    expect(after.find((n) => n.class === "B2")?.id).toBe(before.id);
    expect(after.map((n) => n.class).sort()).toEqual(["A", "B2"]);
    const s = (await t.cf.workers.scripts.list({ account_id: ACCOUNT })).result.find((x) => x.id === "val");
    expect(s?.migration_tag).toBe("v2");
  });
});
