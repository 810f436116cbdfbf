/** Bearer-token check of the control API, in constant time. */
const encoder = new TextEncoder();

async function digest(s: string): Promise<ArrayBuffer> {
  return crypto.subtle.digest("SHA-256", encoder.encode(s));
}

/**
 * True when `Authorization: Bearer <token>` carries exactly `expected`.
 * Both sides are hashed first so the comparison is of equal lengths and
 * neither the token's length nor its prefix leaks through timing.
 */
export async function isAuthorized(request: Request, expected: string): Promise<boolean> {
  const header = request.headers.get("authorization") ?? "";
  const m = /^Bearer ([^\s]+)$/.exec(header);
  const given = m?.[1] ?? "";
  const [a, b] = await Promise.all([digest(given), digest(expected)]);
  const same = crypto.subtle.timingSafeEqual(a, b);
  return same && given.length > 0;
}
