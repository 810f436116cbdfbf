/**
 * HostWorker: the dynamic resource that uploads the host Worker through the
 * `cloudflare` SDK (@pulumi/cloudflare rejects worker_loader bindings). The
 * provider is a thin shell over host-worker-ops.ts: each method loads that
 * module with require(), so the serialized provider captures nothing but a
 * module name.
 */
import * as pulumi from "@pulumi/pulumi";
import { providerModule } from "./provider-module.js";
import type { HostWorkerInputs, HostWorkerOutputs } from "./host-worker-ops.js";


type Ops = typeof import("./host-worker-ops.js");
/** check and diff need only the inputs' rules: loading the SDK costs every preview ~0.5 s. */
type Inputs = typeof import("./host-inputs.js");

/** Fields whose change replaces the script instead of updating it. */

export const hostWorkerProvider: pulumi.dynamic.ResourceProvider = {
  /** The `cloudflare:apiToken` config secret reaches the provider here, never through state. */
  async configure(req: pulumi.dynamic.ConfigureRequest) {
    const token = req.config.get("cloudflare:apiToken");
    if (token && !process.env.CLOUDFLARE_API_TOKEN) process.env.CLOUDFLARE_API_TOKEN = token;
  },

  // check and diff run on every preview before any app can register (apps
  // wait for the host's outputs): with the platform unchanged they load nothing.
  async check(olds: HostWorkerInputs, news: HostWorkerInputs) {
    // The Platform validated these inputs in the program already; unchanged ones passed here before.
    const changed = Object.keys(news).some((f) => f !== "__provider" && JSON.stringify(olds?.[f as keyof HostWorkerInputs]) !== JSON.stringify(news[f as keyof HostWorkerInputs]));
    if (!changed) return { inputs: news, failures: [] };
    const ops = providerModule("host-inputs") as Inputs;
    return { inputs: news, failures: ops.checkHostInputs(news) };
  },

  async diff(_id: string, olds: HostWorkerOutputs, news: HostWorkerInputs) {
    // Every input: the upload fields (HOST_UPLOAD_FIELDS) and dataOnDelete.
    const changed = Object.keys(news).filter((f) => f !== "__provider" && JSON.stringify(olds[f as keyof HostWorkerInputs]) !== JSON.stringify(news[f as keyof HostWorkerInputs]));
    const replaces = changed.filter((f) => (["accountId", "apiBaseUrl", "scriptName"] as string[]).includes(f));
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: HostWorkerInputs) {
    const ops = providerModule("host-worker-ops") as Ops;
    const cf = ops.cloudflareClient(inputs.apiBaseUrl, ops.apiToken({}, inputs.accountId === "local"));
    const outs = await ops.uploadHost(cf, inputs, ops.newControlToken());
    return { id: `${inputs.accountId}/${inputs.scriptName}`, outs };
  },

  async update(_id: string, olds: HostWorkerOutputs, news: HostWorkerInputs) {
    const ops = providerModule("host-worker-ops") as Ops;
    if (ops.HOST_UPLOAD_FIELDS.every((f) => JSON.stringify(olds[f]) === JSON.stringify(news[f]))) {
      return { outs: { ...olds, dataOnDelete: news.dataOnDelete } };
    }
    const cf = ops.cloudflareClient(news.apiBaseUrl, ops.apiToken({}, news.accountId === "local"));
    const token = olds.rotateControlToken === news.rotateControlToken && olds.controlToken ? olds.controlToken : ops.newControlToken();
    return { outs: await ops.uploadHost(cf, news, token) };
  },

  async read(id: string, props: HostWorkerOutputs) {
    const ops = providerModule("host-worker-ops") as Ops;
    const cf = ops.cloudflareClient(props.apiBaseUrl, ops.apiToken({}, props.accountId === "local"));
    const outs = await ops.readHost(cf, props);
    return outs ? { id, props: outs } : { id: "", props: {} };
  },

  async delete(_id: string, props: HostWorkerOutputs) {
    // Retained: the script and every app's objects stay on the account (see dataOnDelete).
    if (props.dataOnDelete !== "delete") return;
    const ops = providerModule("host-worker-ops") as Ops;
    const cf = ops.cloudflareClient(props.apiBaseUrl, ops.apiToken({}, props.accountId === "local"));
    await ops.deleteHost(cf, props.accountId, props.scriptName);
  },
};

export interface HostWorkerArgs {
  accountId: pulumi.Input<string>;
  apiBaseUrl: pulumi.Input<string>;
  scriptName: pulumi.Input<string>;
  compatibilityDate: pulumi.Input<string>;
  bundleSha256: pulumi.Input<string>;
  platformConfig: pulumi.Input<HostWorkerInputs["platformConfig"]>;
  rotateControlToken: pulumi.Input<string>;
  dataOnDelete: pulumi.Input<"retain" | "delete">;
}

export class HostWorker extends pulumi.dynamic.Resource {
  declare readonly controlToken: pulumi.Output<string>;
  declare readonly migrationTag: pulumi.Output<string | null>;
  declare readonly namespaceIds: pulumi.Output<Record<string, string>>;
  declare readonly scriptName: pulumi.Output<string>;

  constructor(name: string, args: HostWorkerArgs, opts: pulumi.CustomResourceOptions = {}) {
    super(
      hostWorkerProvider,
      name,
      { controlToken: undefined, migrationTag: undefined, namespaceIds: undefined, ...args },
      { ...opts, additionalSecretOutputs: ["controlToken"] },
      "dynamic-workers",
      "HostWorker",
    );
  }
}
