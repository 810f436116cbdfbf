/**
 * resources/platform/: the Platform component, what a program declares first.
 *
 * Platform: the host Worker and everything around it, as one component
 * (`dynamic-workers:index:Platform`). It validates its arguments before any
 * resource exists, uploads the host (HostWorker), and adds routes, a custom
 * domain or the workers.dev subdomain with @pulumi/cloudflare resources.
 */
import type * as cloudflareTypes from "@pulumi/cloudflare";
import * as pulumi from "@pulumi/pulumi";
import { createRequire } from "node:module";
import { HOST_COMPATIBILITY_DATE, hostBundle } from "../../cloudflare/host-script.js";
import { CLOUDFLARE_API_BASE_URL, checkHostInputs, type HostWorkerInputs } from "../host-worker/inputs.js";
import { type HostWorkerDefaults, defaultScriptName, localAppsDomain } from "../host-worker/defaults.js";
import { HostWorker } from "../host-worker/resource.js";
import { PlatformConfig, derivePreviewToken, type QuotaInput } from "../../shared/schema/index.js";
import type { z } from "zod";
import type { PreviewQuotaConfig } from "../../shared/schema/index.js";
import { type AppsZone, appsRoutePattern, appsRoutingProblems, appsRoutingWarnings } from "./apps-routing.js";

/** @pulumi/cloudflare, loaded only for platforms on Cloudflare (it is slow to load, and local platforms never use it). */
function cloudflareResources(): typeof cloudflareTypes {
  return createRequire(import.meta.url)("@pulumi/cloudflare") as typeof cloudflareTypes;
}

/** The local target's default API base URL (`dynamic-workers local`). */
export const LOCAL_API_BASE_URL = "http://127.0.0.1:8787/client/v4";

export interface PlatformArgs {
  /** The Cloudflare account id, or "local" for the local target. */
  accountId: string;
  /** The Cloudflare API base URL. @default Cloudflare's, or http://127.0.0.1:8787/client/v4 for "local" */
  apiBaseUrl?: string;
  /**
   * The host Worker's script name. @default the resource name (as a script
   * name: lower case, other characters as '-'), so two platforms on one
   * account do not collide. A platform created when the default was
   * "dynamic-workers" keeps its script: the default never renames (and so
   * replaces) a host that exists.
   */
  scriptName?: string;
  /** The host's compatibility date. @default "2026-07-01" (the host needs 2025-11-17 or later) */
  compatibilityDate?: string;
  /**
   * Apps answer at `<app>.<appsDomain>` (route `*.<appsDomain>/*` to the script).
   * @default "<scriptName>.localhost" for "local"; none on Cloudflare (apps answer at `<url>/apps/<app>/`)
   */
  appsDomain?: string;
  /**
   * On Cloudflare: the zone that holds appsDomain. Given, the Platform creates
   * the proxied wildcard DNS record `*.<appsDomain>` (AAAA `100::`, a
   * placeholder: the host Worker answers, there is no origin) and the route
   * `*.<appsDomain>/*` to the host, and warns at preview when Universal SSL
   * cannot cover `*.<appsDomain>`. @default none (route and DNS are yours to make)
   */
  appsZone?: AppsZone;
  /** Serve the host at `https://<scriptName>.<subdomain>.workers.dev`: your account's workers.dev subdomain. */
  workersDev?: { subdomain: string };
  /** Serve the host on a custom domain. */
  customDomain?: { hostname: string; zoneId: string };
  /** Zone routes to the host, e.g. `*.apps.example.com/*` for hostname routing. @default [] */
  routes?: { pattern: string; zoneId: string }[];
  /** Platform-wide caps. @default { maxApps: 1000, maxQuota: {} } */
  limits?: { maxApps?: number; maxQuota?: QuotaInput };
  /** Defaults for quota fields an app leaves out. @default {} */
  defaults?: { quota?: QuotaInput };
  /** Code versions kept per app. @default 10 */
  versionsKept?: number;
  /** Seconds an isolate trusts its cached view of an app (how fast a deploy is seen). @default 2 */
  cacheTtlSeconds?: number;
  /**
   * The preview quota, across every pull request's preview slots (see the
   * README's Pull-request previews): slots at once, each slot's objects and
   * bytes, and the hours after a preview's last deploy that the host removes
   * it with its data.
   * @default { maxSlots: 50, maxObjectsPerSlot: 20, maxStorageBytesPerSlot: 50_000_000, ttlHours: 72 }
   */
  previews?: z.input<typeof PreviewQuotaConfig>;
  /** Change this value to rotate the control token (and the preview token derived from it). @default "" */
  rotateControlToken?: string;
  /**
   * What destroying the platform does with the host Worker: "retain" leaves
   * the script and its Durable Objects (every app's retained data) on the
   * account, so a platform created again finds its apps' data; "delete"
   * deletes the script and, with it, all data. @default "retain"
   */
  dataOnDelete?: "retain" | "delete";
}

export class Platform extends pulumi.ComponentResource {
  /** Where the host answers (for people: browsers and curl). */
  readonly url: pulumi.Output<string>;
  /** Where the control API answers (for programs). */
  readonly controlUrl: pulumi.Output<string>;
  /** The control API's bearer token (secret). */
  readonly controlToken: pulumi.Output<string>;
  /**
   * A second bearer token (secret) that touches only preview slots: for the
   * pull-request workflow's `dynamic-workers preview deploy`. Derived from
   * the control token (HMAC), so it rotates with it.
   */
  readonly previewToken: pulumi.Output<string>;
  /**
   * The key apps' version hashes digest their secrets with (secret): give it
   * as `secretsKey` to an App with secrets that names `controlUrl` instead
   * of this platform, or to a ControlClient.
   */
  readonly secretsKey: pulumi.Output<string>;
  readonly scriptName: pulumi.Output<string>;
  /** Durable Object namespace id per binding: CATALOG, APP_CONTROL, APP_OBJECTS. */
  readonly namespaceIds: pulumi.Output<Record<string, string>>;
  /** The ceilings apps are checked against at preview. */
  readonly maxQuota: QuotaInput;
  private readonly appsUrlOf: (name: string) => pulumi.Output<string>;

  constructor(name: string, args: PlatformArgs, opts: pulumi.ComponentResourceOptions = {}) {
    super("dynamic-workers:index:Platform", name, {}, opts);
    // Conflicting or bad arguments are refused before any resource is made.
    const { inputs, config } = hostInputs(name, args);
    if (!config.appsDomain) pulumi.log.warn(pathRoutingWarning(name), this);
    if (args.accountId !== "local") for (const w of appsRoutingWarnings(name, args)) pulumi.log.warn(w, this);
    const host = new HostWorker(`${name}-host`, inputs, { parent: this });
    const where =
      args.accountId === "local"
        ? this.localUrls(host, inputs.apiBaseUrl)
        : this.cloudflareUrls(name, args, host, config);
    this.url = where.url;
    this.controlUrl = where.controlUrl;
    this.appsUrlOf = where.appsUrlOf;
    this.controlToken = pulumi.secret(host.controlToken);
    this.previewToken = pulumi.secret(host.controlToken.apply((t) => derivePreviewToken(t)));
    this.secretsKey = pulumi.secret(host.secretsKey);
    this.scriptName = host.scriptName;
    this.namespaceIds = host.namespaceIds;
    this.maxQuota = config.limits.maxQuota;
    this.registerOutputs({
      url: this.url,
      controlUrl: this.controlUrl,
      controlToken: this.controlToken,
      previewToken: this.previewToken,
      secretsKey: this.secretsKey,
      scriptName: this.scriptName,
      namespaceIds: this.namespaceIds,
    });
  }

  /** The local target: the host at <script>.localhost, the control API under /_scripts/<script> (Node cannot resolve *.localhost here). */
  private localUrls(host: HostWorker, apiBaseUrl: string): Urls {
    const api = new URL(apiBaseUrl);
    const port = api.port || "80";
    return {
      // Derived from the host's outputs, so apps wait for the host to be uploaded, and a host that kept
      // its deployed script name (see scriptName) is found under it.
      url: host.scriptName.apply((s) => `http://${s}.localhost:${port}`),
      controlUrl: host.scriptName.apply((s) => `${api.origin}/_scripts/${s}`),
      appsUrlOf: (app) => host.platformConfig.apply((c) => `http://${app}.${c.appsDomain}:${port}/`),
    };
  }

  /** Cloudflare: a custom domain or workers.dev for the host, and the zone routes, as @pulumi/cloudflare resources. */
  private cloudflareUrls(name: string, args: PlatformArgs, host: HostWorker, config: PlatformConfig): Urls {
    const cloudflare = cloudflareResources();
    // The host's own output: an existing host keeps its deployed name (see scriptName).
    const scriptName = host.scriptName;
    const after = { parent: this, dependsOn: [host] };
    if (args.workersDev) {
      new cloudflare.WorkersScriptSubdomain(
        `${name}-workers-dev`,
        { accountId: args.accountId, scriptName, enabled: true },
        after,
      );
    }
    (args.routes ?? []).forEach((r, i) => {
      new cloudflare.WorkersRoute(
        `${name}-route-${i}`,
        { zoneId: r.zoneId, pattern: r.pattern, script: scriptName },
        after,
      );
    });
    if (args.appsZone && config.appsDomain) {
      this.appsHostnames(name, cloudflare, { ...args.appsZone, appsDomain: config.appsDomain, scriptName }, after);
    }
    const base = args.customDomain
      ? pulumi.output(`https://${args.customDomain.hostname}`)
      : pulumi.interpolate`https://${scriptName}.${args.workersDev!.subdomain}.workers.dev`;
    const appsUrlOf = (app: string) =>
      config.appsDomain
        ? pulumi.output(`https://${app}.${config.appsDomain}/`)
        : pulumi.interpolate`${base}/apps/${app}/`;
    if (!args.customDomain) {
      const url = base;
      return { url, controlUrl: url, appsUrlOf };
    }
    const { hostname, zoneId } = args.customDomain;
    const domain = new cloudflare.WorkersCustomDomain(
      `${name}-domain`,
      { accountId: args.accountId, hostname, service: scriptName, zoneId },
      after,
    );
    const url = pulumi.interpolate`https://${domain.hostname}`;
    return { url, controlUrl: url, appsUrlOf };
  }

  /** Every `<app>.<appsDomain>` to the host: a proxied wildcard DNS record and a route. */
  private appsHostnames(
    name: string,
    cloudflare: typeof cloudflareTypes,
    { zoneId, appsDomain, scriptName }: { zoneId: string; appsDomain: string; scriptName: pulumi.Input<string> },
    after: pulumi.CustomResourceOptions,
  ): void {
    new cloudflare.DnsRecord(
      `${name}-apps-dns`,
      {
        zoneId,
        name: `*.${appsDomain}`,
        type: "AAAA",
        // 100:: is a discard address: the route's Worker answers every request, nothing reaches an origin.
        content: "100::",
        proxied: true,
        ttl: 1,
        comment: `dynamic-workers: the apps of Platform '${name}' (served by the host Worker)`,
      },
      { parent: this },
    );
    new cloudflare.WorkersRoute(
      `${name}-apps-route`,
      { zoneId, pattern: appsRoutePattern(appsDomain), script: scriptName },
      after,
    );
  }

  /** Where app `name` answers. */
  appsUrl(name: string): pulumi.Output<string> {
    return this.appsUrlOf(name);
  }
}

interface Urls {
  url: pulumi.Output<string>;
  controlUrl: pulumi.Output<string>;
  appsUrlOf: (app: string) => pulumi.Output<string>;
}

/** Shown at preview when apps will share one browser origin. */
export function pathRoutingWarning(name: string): string {
  return (
    `Platform '${name}' has no appsDomain, so every app is served under /apps/<app>/ on one browser origin: ` +
    "the host confines each app's cookies to its own prefix and strips Service-Worker-Allowed and Clear-Site-Data, " +
    "but in a browser one app's pages can still read and script another's. For an origin per app set appsDomain " +
    "(a proxied wildcard DNS record *.<appsDomain> and a certificate that covers it; see the README's Security model)."
  );
}

/** The HostWorker's inputs and the parsed platform config; throws naming every bad or conflicting argument. */
function hostInputs(
  name: string,
  args: PlatformArgs,
): { inputs: HostWorkerInputs & HostWorkerDefaults; config: PlatformConfig } {
  const local = args.accountId === "local";
  if (local && (args.workersDev || args.customDomain || args.routes?.length || args.appsZone)) {
    throw new Error(
      `Platform '${name}': workersDev, customDomain, routes and appsZone are Cloudflare features; the local target ("local") takes none`,
    );
  }
  if (!local && !args.workersDev && !args.customDomain) {
    throw new Error(`Platform '${name}': on Cloudflare give workersDev or customDomain, so the host has a URL`);
  }
  const scriptName = args.scriptName ?? defaultScriptName(name);
  const appsDomain = args.appsDomain ?? (local ? localAppsDomain(scriptName) : undefined);
  const defaulted = [
    ...(args.scriptName === undefined ? (["scriptName"] as const) : []),
    ...(args.appsDomain === undefined && local ? (["appsDomain"] as const) : []),
  ];
  const platformConfig = {
    ...(appsDomain ? { appsDomain } : {}),
    ...(args.cacheTtlSeconds !== undefined ? { cacheTtlSeconds: args.cacheTtlSeconds } : {}),
    ...(args.versionsKept !== undefined ? { versionsKept: args.versionsKept } : {}),
    limits: {
      ...(args.limits?.maxApps !== undefined ? { maxApps: args.limits.maxApps } : {}),
      maxQuota: args.limits?.maxQuota ?? {},
    },
    defaults: { quota: args.defaults?.quota ?? {} },
    // Only when given: an existing platform's config (and so its host upload) stays as it was.
    ...(args.previews !== undefined ? { previews: args.previews } : {}),
  };
  const inputs: HostWorkerInputs & HostWorkerDefaults = {
    accountId: args.accountId,
    apiBaseUrl: args.apiBaseUrl ?? (local ? LOCAL_API_BASE_URL : CLOUDFLARE_API_BASE_URL),
    scriptName,
    compatibilityDate: args.compatibilityDate ?? HOST_COMPATIBILITY_DATE,
    bundleSha256: hostBundle().sha256,
    platformConfig,
    rotateControlToken: args.rotateControlToken ?? "",
    dataOnDelete: args.dataOnDelete ?? "retain",
    ...(defaulted.length > 0 ? { __defaulted: defaulted } : {}),
  };
  const failures = [
    ...checkHostInputs(inputs).map((f) => `${f.property}: ${f.reason}`),
    ...appsRoutingProblems(args, local),
  ];
  if (failures.length) throw new Error(`Platform '${name}': ${failures.join("; ")}`);
  return { inputs, config: PlatformConfig.parse(platformConfig) };
}
