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
  CONTROL_TOKEN_OVERLAP_MS,
  type HostWorkerOutputs,
} from "../../provider/resources/host-worker/ops.js";
import { hostWorkerProvider } from "../../provider/resources/host-worker/provider.js";
import { HOST_COMPATIBILITY_DATE, hostBundle } from "../../provider/cloudflare/host-script.js";
import { HOST_MIGRATIONS, LATEST_HOST_MIGRATION_TAG } from "../../provider/cloudflare/host-migrations.js";
import { UPLOAD_REQUEST_OPTIONS, buildUploadForm } from "../../provider/cloudflare/upload-form.js";
import { startTarget, type Started } from "../local/helpers.js";
import { startLossyProxy } from "../helpers/lossy-proxy.js";

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

  it("recognizes an upload whose migration landed but whose answer was lost (the retry is refused with 10079)", async () => {
    // The first upload reaches the target and is applied; its answer is cut on the way back, so the
    // client retries the same body, old_tag and all.
    const proxy = await startLossyProxy(
      t.target.url,
      (r, n) => r.method === "PUT" && !r.path.endsWith("/schedules") && n === 1,
    );
    try {
      const api = `${proxy.url}/client/v4`;
      const token = newControlToken();
      const out = await uploadHost(
        cloudflareClient(api, "local-token"),
        inputs({ apiBaseUrl: api, scriptName: "host-lost" }),
        token,
        newSecretsKey(),
      );
      expect(proxy.dropped).toEqual(["PUT /client/v4/accounts/local/workers/scripts/host-lost"]);
      expect(out.migrationTag).toBe(LATEST_HOST_MIGRATION_TAG);
      expect(Object.keys(out.namespaceIds).sort()).toEqual(["APP_CONTROL", "APP_OBJECTS", "CATALOG"]);
      expect((await controlOf("host-lost", token).listApps()).apps).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("recognizes the same for an update whose migration (old_tag v1 to v2) landed but whose answer was lost", async () => {
    const cf = cloudflareClient(t.target.apiBaseUrl, "local-token");
    await uploadHost(cf, inputs({ scriptName: "host-next" }), newControlToken(), newSecretsKey());
    // A later release's history: one more step (empty, so the bundle needs no new class).
    const next = [...HOST_MIGRATIONS, { tag: "v2", step: {} }];
    const proxy = await startLossyProxy(
      t.target.url,
      (r, n) => r.method === "PUT" && !r.path.endsWith("/schedules") && n === 1,
    );
    try {
      const api = `${proxy.url}/client/v4`;
      const token = newControlToken();
      const out = await uploadHost(
        cloudflareClient(api, "local-token"),
        inputs({ apiBaseUrl: api, scriptName: "host-next" }),
        token,
        newSecretsKey(),
        next,
      );
      expect(proxy.dropped).toHaveLength(1);
      expect(out.migrationTag).toBe("v2");
      expect((await controlOf("host-next", token).listApps()).apps).toEqual([]);
    } finally {
      await proxy.close();
    }
  });

  it("refuses by name a retry refused with 10079 when the script moved to another tag meanwhile", async () => {
    const cf = cloudflareClient(t.target.apiBaseUrl, "local-token");
    // While the first answer is on its way back, someone else moves the script on to tag v7.
    const proxy = await startLossyProxy(t.target.url, async (r, n) => {
      if (r.method !== "PUT" || n !== 1) return false;
      const form = buildUploadForm(
        {
          main_module: "host.js",
          compatibility_date: HOST_COMPATIBILITY_DATE,
          migrations: { old_tag: LATEST_HOST_MIGRATION_TAG, new_tag: "v7", steps: [] },
        },
        [{ name: "host.js", kind: "esm", content: hostBundle().code }],
      );
      await cf.workers.scripts.update(
        "host-moved",
        { account_id: "local", metadata: form.metadata as never, files: form.files },
        UPLOAD_REQUEST_OPTIONS as never,
      );
      return true;
    });
    try {
      const api = `${proxy.url}/client/v4`;
      await expect(
        uploadHost(
          cloudflareClient(api, "local-token"),
          inputs({ apiBaseUrl: api, scriptName: "host-moved" }),
          newControlToken(),
          newSecretsKey(),
        ),
      ).rejects.toThrow(
        /migration from none to 'v1' was refused \(Cloudflare 10079.*script 'host-moved' is now at migration tag 'v7'/,
      );
      expect(proxy.dropped).toHaveLength(1);
    } finally {
      await proxy.close();
    }
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

  it("a token rotation keeps the old token working for the stated overlap; later uploads keep it, and drop it once ended", async () => {
    type Outs = HostWorkerOutputs;
    const create = await hostWorkerProvider.create!(inputs({ scriptName: "host-r" }));
    const first = create.outs as Outs;
    const rotated = (
      await hostWorkerProvider.update!("id", first, inputs({ scriptName: "host-r", rotateControlToken: "1" }))
    ).outs as Outs;
    expect(rotated.controlToken).not.toBe(first.controlToken);
    expect(rotated.previousControlToken).toBe(first.controlToken);
    const until = Date.parse(rotated.previousControlTokenUntil!);
    expect(until).toBeGreaterThan(Date.now());
    expect(until).toBeLessThanOrEqual(Date.now() + CONTROL_TOKEN_OVERLAP_MS);
    // A CI job holding the old token still works, beside one with the new token.
    await expect(controlOf("host-r", first.controlToken).listApps()).resolves.toBeDefined();
    await expect(controlOf("host-r", rotated.controlToken).listApps()).resolves.toBeDefined();
    // An upload for another reason, within the overlap, keeps it (with its end).
    const later = (
      await hostWorkerProvider.update!(
        "id",
        rotated,
        inputs({
          scriptName: "host-r",
          rotateControlToken: "1",
          platformConfig: { cacheTtlSeconds: 0, versionsKept: 3 },
        }),
      )
    ).outs as Outs;
    expect(later.previousControlTokenUntil).toBe(rotated.previousControlTokenUntil);
    await expect(controlOf("host-r", first.controlToken).listApps()).resolves.toBeDefined();
    // Once the overlap has ended, the next upload drops the old token from the host.
    const ended = { ...later, previousControlTokenUntil: new Date(Date.now() - 1000).toISOString() };
    const after = (
      await hostWorkerProvider.update!(
        "id",
        ended,
        inputs({
          scriptName: "host-r",
          rotateControlToken: "1",
          platformConfig: { cacheTtlSeconds: 0, versionsKept: 4 },
        }),
      )
    ).outs as Outs;
    expect(after.previousControlToken).toBeUndefined();
    await expect(controlOf("host-r", first.controlToken).listApps()).rejects.toMatchObject({ status: 401 });
    await expect(controlOf("host-r", after.controlToken).listApps()).resolves.toBeDefined();
  });
});
