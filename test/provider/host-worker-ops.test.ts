// The HostWorker provider's operations against a running local target: the
// official SDK over real HTTP, the real host bundle on workerd.
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ControlClient } from "../../provider/control-client/client.js";
import { checkHostInputs, type HostWorkerInputs } from "../../provider/resources/host-worker/inputs.js";
import {
  cloudflareClient,
  deleteHost,
  deployedMigrationTag,
  newControlToken,
  newSecretsKey,
  readHost,
  uploadHost,
} from "../../provider/resources/host-worker/ops.js";
import { HOST_COMPATIBILITY_DATE, hostBundle } from "../../provider/cloudflare/host-script.js";
import { LATEST_HOST_MIGRATION_TAG } from "../../provider/cloudflare/host-migrations.js";
import { UPLOAD_REQUEST_OPTIONS, buildUploadForm } from "../../provider/cloudflare/upload-form.js";
import { startTarget, type Started } from "../local/helpers.js";

let t: Started;
beforeAll(async () => {
  t = await startTarget({ quiet: true });
});
afterAll(() => t?.stop());

const inputs = (extra: Partial<HostWorkerInputs> = {}): HostWorkerInputs => ({
  accountId: "local",
  apiBaseUrl: t.target.apiBaseUrl,
  scriptName: "host-a",
  compatibilityDate: HOST_COMPATIBILITY_DATE,
  bundleSha256: hostBundle().sha256,
  platformConfig: { cacheTtlSeconds: 0 },
  rotateControlToken: "",
  dataOnDelete: "retain",
  ...extra,
});

const controlOf = (script: string, token: string) =>
  new ControlClient({ url: `${t.target.url}/_scripts/${script}`, token });

describe("HostWorker operations", () => {
  it("check names each bad input", () => {
    expect(checkHostInputs(inputs())).toEqual([]);
    const failures = checkHostInputs(
      inputs({
        scriptName: "-x",
        compatibilityDate: "2025-01-01",
        accountId: "",
        dataOnDelete: "maybe" as never,
        platformConfig: { versionsKept: 0 },
      }),
    );
    expect(failures.map((f) => f.property)).toEqual([
      "scriptName",
      "platformConfig",
      "compatibilityDate",
      "accountId",
      "dataOnDelete",
    ]);
    expect(failures[1]!.reason).toMatch(/versionsKept/);
  });

  it("creates the host with every migration, and its control API answers the generated token only", async () => {
    const cf = cloudflareClient(t.target.apiBaseUrl, "local-token");
    const token = newControlToken();
    expect(token).toMatch(/^[0-9a-f]{64}$/);
    const out = await uploadHost(cf, inputs(), token, newSecretsKey());
    expect(out.migrationTag).toBe(LATEST_HOST_MIGRATION_TAG);
    expect(Object.keys(out.namespaceIds).sort()).toEqual(["APP_CONTROL", "APP_OBJECTS", "CATALOG"]);
    const control = controlOf("host-a", token);
    await control.rollOut("probe", {
      mainModule: "index.js",
      modules: { "index.js": { type: "js", content: "export default { fetch() { return new Response('up') } }" } },
      compatibilityDate: "2026-07-01",
    });
    expect(await (await fetch(`${t.target.url}/_scripts/host-a/apps/probe/`)).text()).toBe("up");
    await expect(controlOf("host-a", "wrong").listApps()).rejects.toMatchObject({ status: 401 });
    // The secret binding is not readable back through the API.
    const settings = await cf.workers.scripts.settings.get("host-a", { account_id: "local" }).catch(() => null);
    expect(JSON.stringify(settings ?? {})).not.toContain(token);
  });

  it("updates with no migration, keeping the ids and the apps; a new token rotates access", async () => {
    const cf = cloudflareClient(t.target.apiBaseUrl, "local-token");
    const before = await readHost(cf, {
      ...inputs(),
      controlToken: "x",
      secretsKey: "k",
      migrationTag: null,
      namespaceIds: {},
    });
    const rotated = newControlToken();
    const out = await uploadHost(
      cf,
      inputs({ platformConfig: { cacheTtlSeconds: 0, versionsKept: 5 } }),
      rotated,
      newSecretsKey(),
    );
    expect(out.namespaceIds).toEqual(before!.namespaceIds);
    expect((await controlOf("host-a", rotated).getApp("probe"))?.currentVersion).toMatch(/^[0-9a-f]{64}$/);
    expect(
      (
        (await controlOf("host-a", rotated).request("GET", "/platform")) as {
          platform: { config: { versionsKept: number } };
        }
      ).platform.config.versionsKept,
    ).toBe(5);
  });

  it("refuses to overwrite a host deployed at a migration tag it does not know", async () => {
    const cf = cloudflareClient(t.target.apiBaseUrl, "local-token");
    // Someone (a newer package) moved the script to tag v99.
    const form = buildUploadForm(
      {
        main_module: "newer.js",
        compatibility_date: HOST_COMPATIBILITY_DATE,
        bindings: [{ type: "durable_object_namespace", name: "X", class_name: "Newer" }],
        migrations: { old_tag: LATEST_HOST_MIGRATION_TAG, new_tag: "v99", steps: [{ new_sqlite_classes: ["Newer"] }] },
      },
      [
        { name: "host.js", kind: "esm", content: hostBundle().code },
        {
          name: "newer.js",
          kind: "esm",
          content:
            "import { DurableObject } from 'cloudflare:workers'; export * from './host.js'; export class Newer extends DurableObject {} export default { fetch() { return new Response('newer') } }",
        },
      ],
    );
    await cf.workers.scripts.update(
      "host-a",
      { account_id: "local", metadata: form.metadata as never, files: form.files },
      UPLOAD_REQUEST_OPTIONS as never,
    );
    expect((await deployedMigrationTag(cf, "local", "host-a")).tag).toBe("v99");
    await expect(uploadHost(cf, inputs(), newControlToken(), newSecretsKey())).rejects.toThrow(
      /migration tag 'v99'.*does not know.*Refusing to overwrite/,
    );
    expect(await (await fetch(`${t.target.url}/_scripts/host-a/`)).text()).toBe("newer");
  });

  it("refuses a bundle other than the one planned", async () => {
    const cf = cloudflareClient(t.target.apiBaseUrl, "local-token");
    await expect(
      uploadHost(
        cf,
        inputs({ scriptName: "host-b", bundleSha256: "0".repeat(64) }),
        newControlToken(),
        newSecretsKey(),
      ),
    ).rejects.toThrow(/package changed between preview and update/);
    expect((await deployedMigrationTag(cf, "local", "host-b")).exists).toBe(false);
  });

  it("read reports a deleted script as gone; delete of a missing script is success", async () => {
    const cf = cloudflareClient(t.target.apiBaseUrl, "local-token");
    await uploadHost(cf, inputs({ scriptName: "host-c" }), newControlToken(), newSecretsKey());
    const outs = {
      ...inputs({ scriptName: "host-c" }),
      controlToken: "x",
      secretsKey: "k",
      migrationTag: null,
      namespaceIds: {},
    };
    expect(await readHost(cf, outs)).not.toBeNull();
    await deleteHost(cf, "local", "host-c");
    expect(await readHost(cf, outs)).toBeNull();
    await deleteHost(cf, "local", "host-c");
  });
});
