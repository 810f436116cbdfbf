// The Platform's preview settings in the resource graph (Pulumi mocks): the preview quota reaches the host's
// config only when given, and the preview token is a secret derived from the control token.
import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { derivePreviewToken } from "../../provider/shared/schema/index.js";

const hosts = new Map<string, Record<string, any>>();
pulumi.runtime.setMocks(
  {
    newResource({ type, name, inputs }) {
      if (type.endsWith(":HostWorker")) hosts.set(name, inputs);
      return { id: `${name}-id`, state: { ...inputs, controlToken: "mock-control-token", secretsKey: "k" } };
    },
    call: () => ({}),
  },
  "project",
  "stack",
  false,
);
const { Platform } = await import("../../provider/index.js");
const value = <T>(o: pulumi.Output<T>) => new Promise<T>((r) => o.apply(r));

describe("Platform previews", () => {
  it("declares the preview quota on the host, and a secret preview token derived from the control token", async () => {
    const p = new Platform("pv", { accountId: "local", previews: { maxSlots: 7, ttlHours: 24 } });
    expect(await value(p.previewToken)).toBe(await derivePreviewToken("mock-control-token"));
    expect(await value(p.previewToken)).not.toBe(await value(p.controlToken));
    expect(await pulumi.isSecret(p.previewToken)).toBe(true);
    expect(hosts.get("pv-host")?.platformConfig.previews).toEqual({ maxSlots: 7, ttlHours: 24 });
  });

  it("leaves the host's config as it was without previews, and refuses a bad value naming the field", async () => {
    const p = new Platform("plain", { accountId: "local", scriptName: "plain" });
    await value(p.controlToken);
    expect(hosts.get("plain-host")?.platformConfig).not.toHaveProperty("previews");
    expect(() => new Platform("bad", { accountId: "local", previews: { maxSlots: -1 } })).toThrow(
      /platformConfig: previews\.maxSlots: Too small/,
    );
    expect(() => new Platform("bad2", { accountId: "local", previews: { ttlHours: 0 } })).toThrow(
      /previews\.ttlHours: Too small/,
    );
  });
});
