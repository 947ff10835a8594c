import type { UpstreamFailure } from './metrics.js';

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/**
 * Classifies a failed call to another service (fetch or undici) into the bounded reasons of
 * `chat_upstream_errors_total`. fetch wraps the network error in `cause`; undici does not.
 */
export function failureReason(err: unknown): UpstreamFailure {
  const e = err as { name?: unknown; cause?: unknown } | null;
  if (e?.name === 'TimeoutError') return 'timeout';
  for (const candidate of [err, e?.cause]) {
    const code = codeOf(candidate);
    if (code && TIMEOUT_CODES.has(code)) return 'timeout';
    if (code && CONNECT_CODES.has(code)) return 'connect';
  }
  // Anything else happened on an open connection (reset, closed mid-answer).
  return 'stream_error';
}

/** The reason for an HTTP status an upstream answered with. */
export function statusReason(status: number): UpstreamFailure {
  return status >= 500 ? 'status_5xx' : 'status_4xx';
}

/** A short, safe description of a network error for logs (`error` field). */
export function describeNetworkError(err: unknown): string {
  const e = err as { message?: unknown; cause?: { message?: unknown; code?: unknown } } | null;
  const cause = e?.cause && typeof e.cause.message === 'string' ? `: ${e.cause.message}` : '';
  return `${typeof e?.message === 'string' ? e.message : String(err)}${cause}`;
}
