/**
 * The host Worker: the control plane under /_control/v1/, and every other
 * request routed to an app's isolate. Built by esbuild into dist/host.js.
 */
import { CONTROL_PREFIX, handleControl } from "./control-plane/handlers.js";
import { platformConfig } from "./env.js";
import { json } from "./http.js";
import { routeApp, serveApp } from "./data-plane/router.js";
import { runCronTick } from "./data-plane/scheduled-runs.js";

export { AppControl } from "./objects/app-control.js";
export { AppObject } from "./objects/app-object.js";
export { SizeProbe } from "./objects/size-probe.js";
export { ObjectsBinding } from "./data-plane/objects-entrypoint.js";
export { Catalog } from "./objects/catalog.js";
export { Egress } from "./data-plane/egress-entrypoint.js";
export { AppLogs } from "./data-plane/logs-entrypoint.js";
export { AppAssets } from "./data-plane/assets-entrypoint.js";

export default {
  fetch(request, env, ctx): Response | Promise<Response> {
    const url = new URL(request.url);
    if (url.pathname.startsWith(CONTROL_PREFIX)) return handleControl(request, env, ctx);
    const route = routeApp(url, platformConfig(env).appsDomain);
    if (route) return serveApp(request, env, ctx, route);
    return json({
      service: "dynamic-workers host",
      routes: { apps: "/apps/<app>/", control: "/_control/v1/" },
    });
  },
  /** The host's one cron trigger: runs the apps' cron triggers due at this tick (data-plane/scheduled-runs.ts). */
  async scheduled(controller, env, ctx): Promise<void> {
    await runCronTick(env, ctx, controller.scheduledTime);
  },
} satisfies ExportedHandler<Env>;
