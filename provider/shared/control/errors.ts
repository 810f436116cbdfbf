/**
 * The control API's error contract: every refusal is
 * `{ "error": { "code", "message", "issues"?, … } }` with one of these codes
 * and its HTTP status. Shared by the host and its clients.
 */
import type { FieldIssue } from "../schema/index.js";

export const CONTROL_ERROR_STATUS = {
  /** 401: the bearer token is missing or wrong. */
  unauthorized: 401,
  /** 403: the token is valid but may not use this route (the preview token outside preview slots). */
  forbidden: 403,
  /** 400: the body, path or query failed validation; `issues` names each field. */
  invalid_request: 400,
  /** 404: no such app, version, object or route. */
  not_found: 404,
  /** 405: the route exists but not with this method. */
  method_not_allowed: 405,
  /** 409: `expectedCurrent` is not the current version; `current` says which is. */
  version_conflict: 409,
  /** 413: the request body is larger than the control API takes. */
  payload_too_large: 413,
  /** 422: valid, but beyond a platform cap (maxApps, maxQuota); `issues` names the field. */
  limit_exceeded: 422,
  /** 422: the version to deploy does not start (its modules throw when loaded); nothing changed. */
  start_failed: 422,
  /** 409: the host stopped this rollout (its error rate); `reason` says why. Start it again with `restart: true`. */
  rollout_stopped: 409,
  /** 429: an app is over its requestsPerMinute; Retry-After says when it may try again. */
  rate_limited: 429,
  /** 500: an app threw; `requestId` finds it in the app's errors. */
  app_error: 500,
  /** 500: the host failed. */
  internal: 500,
  /** 503: the control plane has no CONTROL_TOKEN configured. */
  control_disabled: 503,
  /** 503: a version with secrets, but the host has no SECRETS_KEY to digest them (a host from before secrets keys). */
  secrets_disabled: 503,
} as const;

export type ControlErrorCode = keyof typeof CONTROL_ERROR_STATUS;

export interface ControlErrorBody {
  code: ControlErrorCode;
  message: string;
  issues?: FieldIssue[];
  [extra: string]: unknown;
}

/**
 * A refusal raised inside the host. Crossing a Durable Object RPC boundary
 * loses an error's class, so objects return `Result`s instead of throwing.
 */
export class ControlError extends Error {
  readonly code: ControlErrorCode;
  readonly extra: Record<string, unknown>;
  constructor(code: ControlErrorCode, message: string, extra: Record<string, unknown> = {}) {
    super(message);
    this.name = "ControlError";
    this.code = code;
    this.extra = extra;
  }
  get status(): number {
    return CONTROL_ERROR_STATUS[this.code];
  }
  toBody(): ControlErrorBody {
    return { code: this.code, message: this.message, ...this.extra };
  }
}

export type Result<T> = { ok: true; value: T } | { ok: false; error: ControlErrorBody };

export const ok = <T>(value: T): Result<T> => ({ ok: true, value });
export const fail = (code: ControlErrorCode, message: string, extra: Record<string, unknown> = {}): Result<never> => ({
  ok: false,
  error: { code, message, ...extra },
});

/** Unwraps a Result from a Durable Object, re-raising its refusal. */
export function unwrap<T>(r: Result<T>): T {
  if (r.ok) return r.value;
  const { code, message, ...extra } = r.error;
  throw new ControlError(code, message, extra);
}
