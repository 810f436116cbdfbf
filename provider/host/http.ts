/** JSON responses and bounded body reading for the host's own routes. */
import { CONTROL_ERROR_STATUS, ControlError, type ControlErrorBody } from "../shared/control/errors.js";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function errorResponse(error: ControlErrorBody, headers: Record<string, string> = {}): Response {
  return json({ error }, CONTROL_ERROR_STATUS[error.code], headers);
}

/** The control API's largest body: the largest version's base64 plus JSON overhead. */
export const MAX_CONTROL_BODY_BYTES = 48 * 1024 * 1024;

/** Reads a JSON body of at most `max` bytes, refusing anything else clearly. */
export async function readJson(request: Request, max = MAX_CONTROL_BODY_BYTES): Promise<unknown> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  if (declared > max) {
    throw new ControlError("payload_too_large", `the body is ${declared} bytes; at most ${max} bytes are taken`);
  }
  const reader = request.body?.getReader();
  if (!reader) throw new ControlError("invalid_request", "a JSON body is required");
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) {
      await reader.cancel();
      throw new ControlError("payload_too_large", `the body is over ${max} bytes`);
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ControlError("invalid_request", `the body is not valid JSON: ${(e as Error).message}`);
  }
}
