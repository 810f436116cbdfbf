/**
 * The App resource's provider, as the engine's provider host loads it (see
 * ../provider-text.ts). check and diff run for every app on every preview:
 * they load only the schemas (check.ts); the rest loads ops.ts.
 */
import type * as pulumi from "@pulumi/pulumi";
import type { StoredAppState } from "./state.js";

const checks = () => import("./check.js");
const ops = () => import("./ops.js");
const plans = () => import("./rollout-plan.js");

export const appProvider: pulumi.dynamic.ResourceProvider = {
  // Each failure names its argument in the reason, with no property: the engine prints a named property
  // with its value looked up among the top-level inputs, where `quota.maxObjects` is not ("value {<nil>}").
  check: async (olds: StoredAppState, news: StoredAppState) => {
    const failures = (await checks())
      .checkApp(news)
      .map((f) => ({ property: "", reason: `${f.property}: ${f.reason}` }));
    return { inputs: failures.length ? news : (await plans()).planRollout(olds, news), failures };
  },
  diff: async (_id: string, olds: StoredAppState, news: StoredAppState) => (await checks()).diffApp(olds, news),
  create: async (inputs: StoredAppState) => ({ id: inputs.name, outs: await (await ops()).createApp(inputs) }),
  update: async (_id: string, olds: StoredAppState, news: StoredAppState) => ({
    outs: await (await ops()).updateApp(olds, news),
  }),
  // Returning the read state as inputs too makes the next `up` restore the declared app.
  read: async (id: string, props: StoredAppState) => {
    const read = await (await ops()).readApp(props);
    return read ? { id, props: read, inputs: read } : { id: "", props: {} };
  },
  delete: async (_id: string, props: StoredAppState) => (await ops()).deleteApp(props),
};
