import { defineErrors } from '@samosachaat/service-kit';

/**
 * The web service's error registry: every code it answers with, its HTTP status and its
 * default message. Messages are written for the person at the browser, so 5xx ones are shown.
 * Handlers throw its factories directly: `throw WEB_ERRORS.WEB_OPS_FORBIDDEN()`, with a more
 * precise message (`{ message }` or a string) and, on a 429/503, `retryAfterSeconds` (`Retry-After`).
 */
export const WEB_ERRORS = defineErrors({
  WEB_UPSTREAM_UNAVAILABLE: { status: 503, message: 'the upstream service is unavailable; retry shortly' },
  WEB_UPSTREAM_TIMEOUT: { status: 504, message: 'the upstream service did not answer in time; retry shortly' },
  WEB_BAD_GATEWAY: { status: 502, message: 'the upstream service failed while answering' },
  WEB_UI_UNAVAILABLE: { status: 503, message: 'the web UI files are missing' },
  WEB_OPS_DISABLED: { status: 404, message: 'the operations console is disabled (OPS_CONSOLE=false)' },
  WEB_OPS_UNAUTHENTICATED: { status: 401, message: 'the operations console needs "Authorization: Bearer <access token>" of an administrator' },
  WEB_OPS_INVALID_TOKEN: { status: 401, message: 'the access token is invalid or expired; sign in again' },
  WEB_OPS_FORBIDDEN: { status: 403, message: 'the operations console is for administrators only' },
  WEB_AUTH_UNAVAILABLE: { status: 503, message: 'the auth service is unavailable, so administrators cannot be recognised; retry shortly' },
  WEB_INVALID_PATH: { status: 400, message: 'the path leaves the proxied prefix' },
  WEB_INVALID_QUERY: { status: 400, message: 'invalid query parameter' },
  WEB_OPS_API_NOT_FOUND: { status: 404, message: 'no such console API' },
  WEB_TRACE_NOT_FOUND: { status: 404, message: 'no service holds this trace (it may have been evicted from the ring buffers)' },
  WEB_DOCTOR_FAILED: { status: 500, message: 'the doctor could not run' },
}, { exposeServerErrors: true });

/** A code of the registry. */
export type WebErrorCode = keyof typeof WEB_ERRORS;

