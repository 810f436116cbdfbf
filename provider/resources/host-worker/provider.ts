/**
 * The HostWorker resource's provider, as the engine's provider host loads
 * it (see ../provider-text.ts): it uploads the host Worker through the
 * `cloudflare` SDK (@pulumi/cloudflare rejects worker_loader bindings), in
 * ops.ts, loaded on first use.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { HostWorkerDefaults } from "./defaults.js";
import type { HostWorkerInputs } from "./inputs.js";
import type { HostWorkerOutputs } from "./ops.js";

/** check and diff need only the inputs' rules (no SDK): loading the SDK costs every preview ~0.5 s. */
const inputRules = () => import("./inputs.js");
const hostOps = () => import("./ops.js");
type Ops = Awaited<ReturnType<typeof hostOps>>;

const differs = (a: unknown, b: unknown) => JSON.stringify(a) !== JSON.stringify(b);

/** The inputs whose value is not the one `olds` has (the provider text aside). */
function changedInputs(olds: Partial<HostWorkerOutputs> | undefined, news: HostWorkerInputs): string[] {
  return (Object.keys(news) as (keyof HostWorkerInputs)[]).filter(
    (f) => (f as string) !== "__provider" && differs(olds?.[f], news[f]),
  );
}

/** The Cloudflare API client for where the script lives (the local target takes any token). */
const clientFor = (ops: Ops, p: Pick<HostWorkerInputs, "apiBaseUrl" | "accountId">) =>
  ops.cloudflareClient(p.apiBaseUrl, ops.apiToken({}, p.accountId === "local"));

export const hostWorkerProvider: pulumi.dynamic.ResourceProvider = {
  /** The `cloudflare:apiToken` config secret reaches the provider here, never through state. */
  async configure(req: pulumi.dynamic.ConfigureRequest) {
    const token = req.config.get("cloudflare:apiToken");
    if (token && !process.env.CLOUDFLARE_API_TOKEN) process.env.CLOUDFLARE_API_TOKEN = token;
  },

  // check and diff run on every preview before any app can register (apps
  // wait for the host's outputs): with the platform unchanged they load nothing.
  async check(olds: HostWorkerInputs, given: HostWorkerInputs & HostWorkerDefaults) {
    const news = (await import("./defaults.js")).keepDeployedName(olds, given);
    // The Platform validated these inputs in the program already; unchanged ones passed here before.
    if (changedInputs(olds, news).length === 0) return { inputs: news, failures: [] };
    return { inputs: news, failures: (await inputRules()).checkHostInputs(news) };
  },

  async diff(_id: string, olds: HostWorkerOutputs, news: HostWorkerInputs) {
    // Every input: the upload fields (HOST_UPLOAD_FIELDS) and dataOnDelete.
    const changed = changedInputs(olds, news);
    const replaces = changed.filter((f) => (["accountId", "apiBaseUrl", "scriptName"] as string[]).includes(f));
    return { changes: changed.length > 0, replaces, deleteBeforeReplace: false };
  },

  async create(inputs: HostWorkerInputs) {
    const ops = await hostOps();
    const outs = await ops.uploadHost(clientFor(ops, inputs), inputs, ops.newControlToken(), ops.newSecretsKey());
    return { id: `${inputs.accountId}/${inputs.scriptName}`, outs };
  },

  async update(_id: string, olds: HostWorkerOutputs, news: HostWorkerInputs) {
    const [ops, { HOST_UPLOAD_FIELDS }] = await Promise.all([hostOps(), inputRules()]);
    // A host from before secrets keys gets one now (a package upgrade changes bundleSha256 anyway).
    if (olds.secretsKey && !HOST_UPLOAD_FIELDS.some((f) => differs(olds[f], news[f]))) {
      return { outs: { ...olds, dataOnDelete: news.dataOnDelete } };
    }
    const rotates = olds.rotateControlToken !== news.rotateControlToken || !olds.controlToken;
    const token = rotates ? ops.newControlToken() : olds.controlToken;
    // The token before a rotation keeps working for a stated overlap, so running CI does not break.
    const previous = rotates && olds.controlToken ? ops.rotationOverlap(olds.controlToken) : ops.overlapStillOpen(olds);
    // The secrets key outlives token rotations: every app's version hash depends on it.
    const key = olds.secretsKey || ops.newSecretsKey();
    return { outs: await ops.uploadHost(clientFor(ops, news), news, token, key, undefined, previous) };
  },

  async read(id: string, props: HostWorkerOutputs) {
    const ops = await hostOps();
    const outs = await ops.readHost(clientFor(ops, props), props);
    return outs ? { id, props: outs } : { id: "", props: {} };
  },

  async delete(_id: string, props: HostWorkerOutputs) {
    // Retained: the script and every app's objects stay on the account (see dataOnDelete).
    if (props.dataOnDelete !== "delete") return;
    const ops = await hostOps();
    await ops.deleteHost(clientFor(ops, props), props.accountId, props.scriptName);
  },
};
