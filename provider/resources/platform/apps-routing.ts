/**
 * Hostname routing of apps on Cloudflare (`<app>.<appsDomain>`): what the
 * Platform checks and warns about at preview, apart from the resources it
 * makes. Every hostname a Worker route serves needs a proxied DNS record, and
 * a certificate: Universal SSL covers a zone's apex and one level of
 * subdomain below it (`example.com`, `*.example.com`), never two.
 */

/** Where the apps' hostnames live on Cloudflare. */
export interface AppsZone {
  /** The id of the zone that holds appsDomain. */
  zoneId: string;
  /** The zone's name, its apex domain (e.g. `example.com`): appsDomain is it or a name under it. */
  name: string;
  /**
   * Whether `*.<appsDomain>` has a certificate besides Universal SSL (Advanced
   * Certificate Manager, Total TLS, or a custom certificate): then a domain
   * two levels below the apex is covered, and the preview does not warn.
   * @default false
   */
  wildcardCertificate?: boolean;
}

/** What the routing arguments need from PlatformArgs. */
export interface AppsRoutingArgs {
  appsDomain?: string;
  appsZone?: AppsZone;
  routes?: { pattern: string; zoneId: string }[];
}

const HOSTNAME = /^([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?$/;

/** The route pattern that sends every app's hostname to the host. */
export const appsRoutePattern = (appsDomain: string): string => `*.${appsDomain}/*`;

/** Bad or conflicting routing arguments, one message each, naming the field and what is allowed. */
export function appsRoutingProblems(args: AppsRoutingArgs, local: boolean): string[] {
  const zone = args.appsZone;
  if (!zone) return [];
  if (local) return []; // refused with the other Cloudflare-only arguments
  const problems: string[] = [];
  if (!zone.zoneId) problems.push("appsZone.zoneId: must be the id of the zone that holds appsDomain");
  if (!HOSTNAME.test(zone.name ?? "")) {
    problems.push(`appsZone.name: must be the zone's apex domain such as example.com (got '${zone.name ?? ""}')`);
  }
  if (!args.appsDomain) {
    problems.push("appsZone: needs appsDomain (apps answer at <app>.<appsDomain>, a name in that zone)");
  } else if (HOSTNAME.test(zone.name ?? "") && !withinZone(args.appsDomain, zone.name)) {
    problems.push(
      `appsDomain: '${args.appsDomain}' is not in zone appsZone.name '${zone.name}' (it must be the apex or under it)`,
    );
  }
  const pattern = args.appsDomain && appsRoutePattern(args.appsDomain);
  if (pattern && (args.routes ?? []).some((r) => r.pattern === pattern)) {
    problems.push(`routes: '${pattern}' is the route appsZone makes; remove it from routes`);
  }
  return problems;
}

/** Preview warnings about routing on Cloudflare: apps that would get no certificate, or no route at all. */
export function appsRoutingWarnings(platform: string, args: AppsRoutingArgs): string[] {
  const { appsDomain, appsZone } = args;
  if (!appsDomain) return [];
  if (!appsZone) {
    if ((args.routes ?? []).some((r) => r.pattern === appsRoutePattern(appsDomain))) return [];
    return [
      `Platform '${platform}': apps answer at <app>.${appsDomain}, but nothing routes them to the host: give appsZone ` +
        `({ zoneId, name }) and the Platform creates the proxied DNS record *.${appsDomain} and the route ` +
        `${appsRoutePattern(appsDomain)}, or create both yourself and list the route in routes.`,
    ];
  }
  if (appsDomain === appsZone.name || appsZone.wildcardCertificate) return [];
  return [
    `Platform '${platform}': apps at <app>.${appsDomain} will get no valid certificate from Universal SSL, which covers ` +
      `${appsZone.name} and *.${appsZone.name} only (one level below the zone apex), not *.${appsDomain}. Either put ` +
      "the apps on a zone of their own, with appsDomain at its apex (e.g. example-apps.com, or apps.example.com as a " +
      `subdomain zone), order a certificate for *.${appsDomain} with Advanced Certificate Manager, or upload a custom ` +
      "certificate that covers it, and then set appsZone.wildcardCertificate: true.",
  ];
}

/** Whether `domain` is `zone` itself or a name under it. */
export function withinZone(domain: string, zone: string): boolean {
  return domain === zone || domain.endsWith(`.${zone}`);
}
