/**
 * resources/host-worker/: the HostWorker resource, which uploads the host Worker: resource.ts (this
 * file), provider.ts, ops.ts (the upload through the `cloudflare` SDK) and inputs.ts (its inputs and checks).
 *
 * HostWorker: the dynamic resource (`pulumi-nodejs:dynamic/dynamic-workers:HostWorker`)
 * that uploads the host Worker; its provider is provider.ts,
 * named in state by a short text (../provider-text.ts).
 */
import * as pulumi from "@pulumi/pulumi";
import { providerSource } from "../provider-text.js";
import type { HostWorkerInputs } from "./inputs.js";

export interface HostWorkerArgs {
  accountId: pulumi.Input<string>;
  apiBaseUrl: pulumi.Input<string>;
  scriptName: pulumi.Input<string>;
  compatibilityDate: pulumi.Input<string>;
  bundleSha256: pulumi.Input<string>;
  platformConfig: pulumi.Input<HostWorkerInputs["platformConfig"]>;
  rotateControlToken: pulumi.Input<string>;
  dataOnDelete: pulumi.Input<"retain" | "delete">;
  /** What the Platform defaulted (see defaults.ts): read by the check, never stored. */
  __defaulted?: ("scriptName" | "appsDomain")[];
}

export class HostWorker extends pulumi.CustomResource {
  declare readonly controlToken: pulumi.Output<string>;
  declare readonly secretsKey: pulumi.Output<string>;
  declare readonly migrationTag: pulumi.Output<string | null>;
  declare readonly namespaceIds: pulumi.Output<Record<string, string>>;
  declare readonly scriptName: pulumi.Output<string>;
  declare readonly platformConfig: pulumi.Output<HostWorkerInputs["platformConfig"]>;

  constructor(name: string, args: HostWorkerArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      "pulumi-nodejs:dynamic/dynamic-workers:HostWorker",
      name,
      {
        controlToken: undefined,
        secretsKey: undefined,
        previousControlToken: undefined,
        previousControlTokenUntil: undefined,
        migrationTag: undefined,
        namespaceIds: undefined,
        ...args,
        __provider: providerSource("host-worker", "hostWorkerProvider"),
      },
      { ...opts, additionalSecretOutputs: ["controlToken", "secretsKey", "previousControlToken"] },
    );
  }
}
