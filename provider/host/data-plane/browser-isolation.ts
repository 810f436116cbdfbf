/**
 * What an app's response may not do to other apps in a browser.
 * - Hostname routes (`<app>.<appsDomain>`): each app is its own origin, and
 *   a cookie's Domain attribute is the one way to reach the others (a
 *   cookie for `.<appsDomain>` goes to every app), so Domain is removed:
 *   the cookie stays on the app's own host.
 * - Path routes (`/apps/<app>/`): every app shares one origin. Cookies are
 *   confined to the app's prefix (their Path is rewritten under it, Domain
 *   removed, `__Host-` cookies, which must have `Path=/`, dropped), and the
 *   headers that act on the whole origin (Service-Worker-Allowed,
 *   Clear-Site-Data) are removed. That is still no isolation: one app's
 *   pages can script another's on the same origin (README, Security model).
 */
const ORIGIN_WIDE = ["service-worker-allowed", "clear-site-data"];

/**
 * The response as the browser may see it; the same object when nothing
 * needs changing (most responses). `prefix`: the app's path prefix on a path
 * route, null on a hostname route.
 */
export function confineResponse(res: Response, prefix: string | null): Response {
  const h = res.headers;
  const cookies = h.has("set-cookie");
  if (!cookies && (prefix === null || !ORIGIN_WIDE.some((n) => h.has(n)))) return res;
  const headers = new Headers(h);
  if (prefix !== null) for (const n of ORIGIN_WIDE) headers.delete(n);
  if (cookies) {
    headers.delete("set-cookie");
    for (const line of h.getSetCookie()) {
      const confined = confineCookie(line, prefix);
      if (confined !== null) headers.append("set-cookie", confined);
    }
  }
  if (res.status === 101) return new Response(null, { status: 101, headers, webSocket: res.webSocket });
  return new Response(res.body, { status: res.status, statusText: res.statusText, headers });
}

/** One Set-Cookie line without Domain, and on a path route with its Path under the app's prefix; null: dropped. */
export function confineCookie(line: string, prefix: string | null): string | null {
  const [pair = "", ...attributes] = line.split(";");
  if (prefix !== null && /^\s*__host-/i.test(pair)) return null;
  const kept: string[] = [];
  let path: string | undefined;
  for (const attribute of attributes) {
    const eq = attribute.indexOf("=");
    const key = (eq < 0 ? attribute : attribute.slice(0, eq)).trim().toLowerCase();
    if (key === "domain") continue;
    if (key === "path" && prefix !== null) {
      // The last Path wins, as in browsers.
      path = eq < 0 ? "" : attribute.slice(eq + 1).trim();
      continue;
    }
    kept.push(attribute);
  }
  if (prefix !== null) kept.push(` Path=${prefix}${path?.startsWith("/") ? path : "/"}`);
  return [pair, ...kept].join(";");
}
