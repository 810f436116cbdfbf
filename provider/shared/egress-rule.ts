/**
 * The egress rule: may an app with this allow-list send this request? One
 * pure function, used by the host's Egress entrypoint and testable alone.
 * Runs in Node and in workerd: web APIs only.
 *
 * Allowed only when all hold: https; no user info; the default port; a
 * hostname (never an IP literal, in any spelling the URL parser accepts);
 * and the hostname, lowercased and without a trailing dot, equals an
 * allow-list entry or is a subdomain of a `*.` entry (not its apex).
 */
export type EgressDecision = { allowed: true; host: string } | { allowed: false; reason: string };

const IPV4 = /^\d{1,3}(\.\d{1,3}){3}$/;

export function egressDecision(rawUrl: string, allow: readonly string[]): EgressDecision {
  let url: URL;
  try {
    url = new URL(rawUrl);
  } catch {
    return { allowed: false, reason: `not a valid URL: ${rawUrl.slice(0, 200)}` };
  }
  if (url.protocol !== "https:")
    return { allowed: false, reason: `only https is allowed, not ${url.protocol.replace(/:$/, "")}` };
  if (url.username || url.password)
    return { allowed: false, reason: "URLs with user info (user@host) are not allowed" };
  if (url.port && url.port !== "443")
    return { allowed: false, reason: `only the default port is allowed, not ${url.port}` };
  // The WHATWG parser already turns 0x7f.1, 2130706433 and the like into dotted IPv4.
  const host = url.hostname.toLowerCase().replace(/\.$/, "");
  if (host.startsWith("[") || IPV4.test(host))
    return { allowed: false, reason: `IP addresses are not allowed (${host}); use a hostname on the allow-list` };
  if (!host || host.includes("..")) return { allowed: false, reason: `'${host}' is not a valid hostname` };
  for (const entry of allow) {
    const pattern = entry.toLowerCase().replace(/\.$/, "");
    if (pattern.startsWith("*.")) {
      if (host.endsWith(pattern.slice(1))) return { allowed: true, host };
    } else if (host === pattern) {
      return { allowed: true, host };
    }
  }
  return {
    allowed: false,
    reason: `'${host}' is not on the app's outbound allow-list (${allow.join(", ") || "empty"})`,
  };
}
