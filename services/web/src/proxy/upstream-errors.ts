import { webError, type WebError } from '../errors.js';

const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** Why a call to another service failed, in a few bounded words (log field `reason`). */
export type FailureReason = 'connect' | 'timeout' | 'stream_error';

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Classifies a network error of undici or fetch (which wraps the cause). */
export function failureReason(err: unknown): FailureReason {
  const e = err as { name?: unknown; cause?: unknown } | null;
  if (e?.name === 'TimeoutError') return 'timeout';
  for (const candidate of [err, e?.cause]) {
    const code = codeOf(candidate);
    if (code && TIMEOUT_CODES.has(code)) return 'timeout';
    if (code && CONNECT_CODES.has(code)) return 'connect';
  }
  return 'stream_error';
}

/** A short, safe description of a network error for logs and the console (`error` field). */
export function describeNetworkError(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; cause?: { message?: unknown; code?: unknown } } | null;
  const own = typeof e?.message === 'string' && e.message ? e.message : typeof e?.code === 'string' ? e.code : String(err);
  const cause = e?.cause && typeof e.cause.message === 'string' ? `: ${e.cause.message}` : '';
  return `${own}${cause}`;
}

const RETRY_AFTER_SECONDS = 2;

/** The answer a browser gets when `upstream` could not be reached or failed before answering. */
export function upstreamError(upstream: string, reason: FailureReason): WebError {
  if (reason === 'connect') {
    return webError('WEB_UPSTREAM_UNAVAILABLE', { message: `${upstream} is unavailable (no connection); retry shortly`, retryAfterSeconds: RETRY_AFTER_SECONDS });
  }
  if (reason === 'timeout') return webError('WEB_UPSTREAM_TIMEOUT', { message: `${upstream} did not answer in time; retry shortly` });
  return webError('WEB_BAD_GATEWAY', { message: `${upstream} failed while answering` });
}
