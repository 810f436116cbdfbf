/** JSON responses and bounded body reading for the host's own routes. */
import { CONTROL_ERROR_STATUS, ControlError, type ControlErrorBody } from "../shared/control/errors.js";

const JSON_HEADERS = { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" };

export function json(body: unknown, status = 200, headers: Record<string, string> = {}): Response {
  return new Response(JSON.stringify(body), { status, headers: { ...JSON_HEADERS, ...headers } });
}

export function errorResponse(error: ControlErrorBody, headers: Record<string, string> = {}): Response {
  return json({ error }, CONTROL_ERROR_STATUS[error.code], headers);
}

/**
 * The control API's largest JSON body. Module and source contents come in
 * pieces (PUT …/modules/:sha256, MODULE_CHUNK_BYTES each), so a JSON body
 * holds only names, digests and settings (the largest: 1,000 module names
 * plus 512 KiB of env), and a deploy stays far inside an isolate's 128 MB.
 */
export const MAX_CONTROL_BODY_BYTES = 4 * 1024 * 1024;

const TOO_LARGE_HINT =
  " (module and source contents go in pieces: PUT /_control/v1/apps/:app/modules/:sha256?chunk=i&of=n)";

/** Bodies up to this are read to their end (and dropped) when too large, so the caller gets the 413, not a reset. */
const DRAIN_BYTES = 128 * 1024 * 1024;

/** Reads a body of at most `max` bytes; a larger one is refused without being kept in memory. */
export async function readBytes(request: Request, max: number): Promise<Uint8Array> {
  const declared = Number(request.headers.get("content-length") ?? "0");
  const reader = request.body?.getReader();
  if (!reader) return new Uint8Array(0);
  if (declared > DRAIN_BYTES) {
    await reader.cancel();
    throw new ControlError(
      "payload_too_large",
      `the body is ${declared} bytes; at most ${max} bytes are taken${TOO_LARGE_HINT}`,
    );
  }
  const chunks: Uint8Array[] = [];
  let size = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    size += value.byteLength;
    if (size > max) chunks.length = 0;
    else chunks.push(value);
  }
  if (size > max)
    throw new ControlError(
      "payload_too_large",
      `the body is ${size} bytes; at most ${max} bytes are taken${TOO_LARGE_HINT}`,
    );
  if (chunks.length === 1) return chunks[0]!;
  const bytes = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    bytes.set(c, at);
    at += c.byteLength;
  }
  return bytes;
}

/** Reads a JSON body of at most `max` bytes, refusing anything else clearly. */
export async function readJson(request: Request, max = MAX_CONTROL_BODY_BYTES): Promise<unknown> {
  if (!request.body) throw new ControlError("invalid_request", "a JSON body is required");
  const bytes = await readBytes(request, max);
  try {
    return JSON.parse(new TextDecoder().decode(bytes));
  } catch (e) {
    throw new ControlError("invalid_request", `the body is not valid JSON: ${(e as Error).message}`);
  }
}
