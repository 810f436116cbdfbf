// One app with one mistake (stack config `mistake`) for test/e2e/readable-errors.test.ts:
// each must fail `pulumi preview` with its message, once, and nothing else.
import * as pulumi from "@pulumi/pulumi";
import { App, LOCAL_API_BASE_URL, Platform } from "pulumi-dynamic-workers";

const config = new pulumi.Config();
const platform = new Platform("errs", {
  accountId: "local",
  apiBaseUrl: config.get("apiBaseUrl") ?? LOCAL_API_BASE_URL,
});
const todo = `${config.require("appsDir")}/todo`;
const mistakes: Record<string, object> = {
  none: {},
  class: { durableObject: "Todolist" },
  quota: { quota: { maxObjects: -1 } },
  // The same mistake arriving through an Output (resolved before the App's checks).
  outputQuota: { quota: pulumi.output({ maxObjects: -1 }) },
  syntax: { source: config.get("brokenSource"), durableObject: undefined },
  outbound: { outbound: "all" },
  inline: { source: undefined, modules: { "index.js": { type: "js", content: "export const x = 1;" } } },
};
new App("todo", {
  platform,
  source: todo,
  durableObject: "TodoList",
  ...mistakes[config.get("mistake") ?? "none"],
});
