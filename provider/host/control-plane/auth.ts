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

/**
 * The control token, or during a rotation's overlap the one before it: a
 * rotation (HostWorker) binds the old token as CONTROL_TOKEN_PREVIOUS with
 * CONTROL_TOKEN_PREVIOUS_UNTIL (an ISO time), so a CI job that read the old
 * token keeps working until then. Past it, or unparsable, only the current
 * token opens the control API. Each check runs, so timing tells neither.
 */
export async function isControlAuthorized(request: Request, env: Env, now = Date.now()): Promise<boolean> {
  const current = await isAuthorized(request, env.CONTROL_TOKEN ?? "");
  const until = Date.parse(env.CONTROL_TOKEN_PREVIOUS_UNTIL ?? "");
  const previous = env.CONTROL_TOKEN_PREVIOUS ? await isAuthorized(request, env.CONTROL_TOKEN_PREVIOUS) : false;
  return current || (previous && Number.isFinite(until) && now < until);
}
