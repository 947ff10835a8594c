/**
 * What went wrong when one service called another over HTTP (fetch or undici), in the few
 * bounded words that metric labels and log fields can carry.
 */
const TIMEOUT_CODES = new Set(['UND_ERR_CONNECT_TIMEOUT', 'UND_ERR_HEADERS_TIMEOUT', 'UND_ERR_BODY_TIMEOUT', 'ETIMEDOUT']);
const CONNECT_CODES = new Set(['ECONNREFUSED', 'ENOTFOUND', 'EAI_AGAIN', 'EHOSTUNREACH', 'ENETUNREACH', 'EADDRNOTAVAIL']);

/** `connect`: no connection; `timeout`: a deadline passed; `stream_error`: the open connection failed. */
export type NetworkFailure = 'connect' | 'timeout' | 'stream_error';

function codeOf(err: unknown): string | undefined {
  const code = (err as { code?: unknown } | null)?.code;
  return typeof code === 'string' ? code : undefined;
}

/** Classifies a network error. fetch wraps the cause in `cause`; undici does not. */
export function networkFailure(err: unknown): NetworkFailure {
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

/** A short description of a network error for logs (`error` field): its message and its cause's. */
export function describeNetworkError(err: unknown): string {
  const e = err as { message?: unknown; code?: unknown; cause?: { message?: unknown } } | null;
  const own = typeof e?.message === 'string' && e.message ? e.message : typeof e?.code === 'string' ? e.code : String(err);
  const cause = e?.cause && typeof e.cause.message === 'string' ? `: ${e.cause.message}` : '';
  return `${own}${cause}`;
}
