// The HostWorker provider's check and diff: what every preview runs before
// any app registers, so an unchanged platform loads no module for them.
import { describe, expect, it } from "vitest";
import { hostWorkerProvider } from "../../provider/resources/host-worker/provider.js";
import { HOST_UPLOAD_FIELDS, type HostWorkerInputs } from "../../provider/resources/host-worker/inputs.js";

const inputs = (extra: Partial<HostWorkerInputs> = {}): HostWorkerInputs => ({
  accountId: "local",
  apiBaseUrl: "http://127.0.0.1:8787/client/v4",
  scriptName: "host-a",
  compatibilityDate: "2026-07-01",
  bundleSha256: "ab",
  platformConfig: { cacheTtlSeconds: 0 },
  rotateControlToken: "",
  dataOnDelete: "retain",
  ...extra,
});

describe("HostWorker provider", () => {
  it("check passes unchanged inputs, and names each bad field of changed ones", async () => {
    const bad = inputs({ scriptName: "-x", dataOnDelete: "maybe" as never });
    // Unchanged (as a stored platform is): validated when they were stored, and by the Platform in the program.
    expect((await hostWorkerProvider.check!(bad, bad)).failures).toEqual([]);
    const { failures } = await hostWorkerProvider.check!(inputs(), bad);
    expect(failures!.map((f) => f.property).sort()).toEqual(["dataOnDelete", "scriptName"]);
    // A first check has no olds.
    expect((await hostWorkerProvider.check!(undefined as never, bad)).failures!.length).toBe(2);
  });

  it("check keeps an existing host's script name (and its local apps domain) where the program left them to the default", async () => {
    // A stack from when the default was "dynamic-workers"; the program now defaults to the resource name.
    const deployed = inputs({
      scriptName: "dynamic-workers",
      platformConfig: { appsDomain: "dynamic-workers.localhost" },
    });
    const given = {
      ...inputs({ scriptName: "ai-apps", platformConfig: { appsDomain: "ai-apps.localhost" } }),
      __defaulted: ["scriptName", "appsDomain"],
    } as HostWorkerInputs;
    const kept = await hostWorkerProvider.check!(deployed, given);
    expect(kept).toEqual({ inputs: deployed, failures: [] });
    // So the diff finds nothing to do: no replacement of the host.
    const outs = { ...deployed, controlToken: "t", namespaceIds: {} } as never;
    expect((await hostWorkerProvider.diff!("id", outs, kept.inputs as HostWorkerInputs)).changes).toBe(false);
    // A new host takes the default; a name the program gives is the program's (a rename replaces).
    expect((await hostWorkerProvider.check!(undefined as never, given)).inputs).toEqual(
      inputs({ scriptName: "ai-apps", platformConfig: { appsDomain: "ai-apps.localhost" } }),
    );
    const chosen = { ...inputs({ scriptName: "chosen" }), __defaulted: [] } as HostWorkerInputs;
    expect((await hostWorkerProvider.check!(deployed, chosen)).inputs).toMatchObject({ scriptName: "chosen" });
    // An appsDomain the program gives stays as given.
    const domain = {
      ...inputs({ scriptName: "ai-apps", platformConfig: { appsDomain: "x.localhost" } }),
      __defaulted: ["scriptName"],
    };
    expect((await hostWorkerProvider.check!(deployed, domain as HostWorkerInputs)).inputs).toMatchObject({
      scriptName: "dynamic-workers",
      platformConfig: { appsDomain: "x.localhost" },
    });
  });

  it("diff compares every input: upload fields update, where the script is replaces, dataOnDelete alone changes state", async () => {
    const outs = { ...inputs(), controlToken: "t", namespaceIds: {} } as never;
    expect(await hostWorkerProvider.diff!("id", outs, inputs())).toEqual({
      changes: false,
      replaces: [],
      deleteBeforeReplace: false,
    });
    expect(Object.keys(inputs()).sort()).toEqual([...HOST_UPLOAD_FIELDS, "dataOnDelete"].sort());
    const d = await hostWorkerProvider.diff!("id", outs, inputs({ bundleSha256: "cd", dataOnDelete: "delete" }));
    expect(d).toMatchObject({ changes: true, replaces: [] });
    expect((await hostWorkerProvider.diff!("id", outs, inputs({ scriptName: "host-b" }))).replaces).toEqual([
      "scriptName",
    ]);
  });
});
