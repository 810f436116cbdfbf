// An Automation API script, run by test/e2e/automation.test.ts from a folder
// that is not the workspace: an inline program (a Platform and two Apps, one
// bundled from `apps/hello` under the script's own working folder, one of
// inline modules) in a LocalWorkspace whose workDir is elsewhere, as a
// program embedding Pulumi would run it. `node run.mjs <up|preview|destroy>`;
// WORK_DIR and API_BASE_URL from the environment. Prints one JSON line.
import { LocalWorkspace } from "@pulumi/pulumi/automation/index.js";
import { App, Platform } from "pulumi-dynamic-workers";

const [action] = process.argv.slice(2);
const workDir = process.env.WORK_DIR;
const apiBaseUrl = process.env.API_BASE_URL;

const program = async () => {
  const platform = new Platform("auto", { accountId: "local", apiBaseUrl, scriptName: "auto", cacheTtlSeconds: 1 });
  new App("hello", { platform, source: "apps/hello", env: { GREETING: "hello from automation" } });
  new App("inline", {
    platform,
    modules: { "index.js": { type: "js", content: "export default { fetch() { return new Response('inline'); } };" } },
  });
  return { controlUrl: platform.controlUrl };
};

const stack = await LocalWorkspace.createOrSelectStack(
  { projectName: "dynamic-workers-automation", stackName: "auto", program },
  { workDir, projectSettings: { name: "dynamic-workers-automation", runtime: "nodejs" } },
);
let result;
if (action === "up") {
  const r = await stack.up();
  result = {
    summary: r.summary.resourceChanges,
    outputs: Object.fromEntries(Object.entries(r.outputs).map(([k, v]) => [k, v.value])),
  };
} else if (action === "preview") {
  result = { summary: (await stack.preview()).changeSummary };
} else if (action === "destroy") {
  result = { summary: (await stack.destroy()).summary.resourceChanges };
} else {
  throw new Error(`unknown action '${action}'`);
}
console.log(JSON.stringify(result));
