/**
 * Refusals of the local target, shaped as Cloudflare's API shapes them:
 * an HTTP status plus the API's own numeric error code in the v4 envelope.
 * Codes marked "seen" were read in Cloudflare's answers quoted in public
 * issues; "chosen" ones imitate the style where no real answer was found.
 */

export const CF_ERRORS = {
  /** seen: 400, no Authorization / X-Auth-* header at all. */
  missing_auth: { status: 400, code: 9106 },
  /** seen: 400 "Invalid request headers" (error_chain 6111: bad Authorization format). */
  invalid_headers: { status: 400, code: 6003 },
  /** seen: 400, the upload's content or metadata failed validation. */
  script_invalid: { status: 400, code: 10021 },
  /** seen: 404 "This Worker does not exist on your account." */
  script_not_found: { status: 404, code: 10007 },
  /** seen: 400, a binding to a class no migration created, or a deleted class still bound. */
  do_binding_invalid: { status: 400, code: 10061 },
  /** seen: 400, the new script does not export a class existing Durable Objects depend on. */
  do_class_not_exported: { status: 400, code: 10064 },
  /** seen: 400, a migration step names a class that does not (or already does) exist. */
  migration_invalid: { status: 400, code: 10074 },
  /** seen: 400, the migrations' old_tag is not the script's current tag. */
  migration_tag_mismatch: { status: 400, code: 10079 },
  /** chosen: 400, the script name is not a valid Worker name. */
  script_name_invalid: { status: 400, code: 10016 },
  /** chosen: 400, delete without force while other scripts bind this script's classes. */
  script_in_use: { status: 400, code: 10085 },
  /** chosen: 400, a JSON body that is not what the route takes. */
  bad_request: { status: 400, code: 10001 },
  /** seen: 10027 "Your Worker exceeded the size limit" (workers-sdk#9101); the status is chosen. */
  script_too_large: { status: 400, code: 10027 },
  /** seen: 404 "No route for that URI" (named with method and path here). */
  no_route: { status: 404, code: 7000 },
  /** chosen: 500, the local target itself failed. */
  internal: { status: 500, code: 10000 },
} as const;

export type CfErrorKind = keyof typeof CF_ERRORS;

export interface CfMessage {
  code: number;
  message: string;
  error_chain?: CfMessage[];
}

export class CfApiError extends Error {
  readonly kind: CfErrorKind;
  readonly status: number;
  readonly code: number;
  readonly chain: CfMessage[] | undefined;
  constructor(kind: CfErrorKind, message: string, chain?: CfMessage[]) {
    super(message);
    this.name = "CfApiError";
    this.kind = kind;
    this.status = CF_ERRORS[kind].status;
    this.code = CF_ERRORS[kind].code;
    this.chain = chain;
  }

  body(): Envelope<null> {
    const error: CfMessage = { code: this.code, message: this.message };
    if (this.chain) error.error_chain = this.chain;
    return { success: false, errors: [error], messages: [], result: null };
  }
}

/** Cloudflare's v4 response envelope. */
export interface Envelope<T> {
  success: boolean;
  errors: CfMessage[];
  messages: CfMessage[];
  result: T;
  result_info?: Record<string, number>;
}

/** A success in Cloudflare's envelope. */
export function envelope<T>(result: T, resultInfo?: Record<string, number>): Envelope<T> {
  return { success: true, errors: [], messages: [], result, ...(resultInfo ? { result_info: resultInfo } : {}) };
}
