import type { Readable } from 'node:stream';
import { redactedExcerpt } from '@samosachaat/observability';
import type { UpstreamFailureCode } from './engine.js';

const EXCERPT_CHARS = 300;

/** The first few hundred characters of an upstream body, on one line, for an error message. */
export async function readExcerpt(body: Readable, maxChars = EXCERPT_CHARS): Promise<string> {
  let text = '';
  try {
    for await (const chunk of body) {
      text += Buffer.isBuffer(chunk) ? chunk.toString('utf8') : String(chunk);
      if (text.length >= maxChars) break;
    }
  } catch {
    // A body that fails while we read the excerpt still yields what arrived.
  }
  const oneLine = text.replace(/\s+/g, ' ').trim();
  if (oneLine === '') return '(empty body)';
  // Redacted before the cut: an upstream echoing a credential must not leak half of it.
  return redactedExcerpt(oneLine, maxChars);
}

/**
 * A clear, secret-free sentence for a failed upstream call: refused or unreachable
 * connections, timeouts and connections that dropped mid-stream.
 */
export function describeUpstreamFailure(err: unknown, upstream: string, timeoutMs: number, midStream = false): string {
  const e = err as { code?: unknown; message?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  const detail = typeof e?.message === 'string' ? e.message : String(err);
  switch (code) {
    case 'ECONNREFUSED':
      return `cannot reach the upstream at ${upstream}: connection refused`;
    case 'ENOTFOUND':
    case 'EAI_AGAIN':
      return `cannot reach the upstream at ${upstream}: host not found`;
    case 'UND_ERR_CONNECT_TIMEOUT':
      return `cannot reach the upstream at ${upstream}: connect timed out`;
    case 'UND_ERR_HEADERS_TIMEOUT':
      return `the upstream at ${upstream} sent no response within ${timeoutMs} ms`;
    case 'UND_ERR_BODY_TIMEOUT':
      return `the upstream at ${upstream} sent nothing for ${timeoutMs} ms mid-stream`;
    case 'UND_ERR_SOCKET':
    case 'ECONNRESET':
    case 'EPIPE':
      return midStream ? `the upstream connection dropped mid-stream (${detail})` : `the upstream at ${upstream} closed the connection (${detail})`;
    default:
      if ((e as { name?: unknown } | null)?.name === 'TimeoutError') return `the upstream at ${upstream} did not answer within ${timeoutMs} ms`;
      return midStream ? `the upstream stream failed mid-stream: ${detail}` : `the upstream request to ${upstream} failed: ${detail}`;
  }
}

/** The code of a failed call that got no HTTP answer: a timeout, else unreachable. */
export function networkFailureCode(err: unknown): UpstreamFailureCode {
  const e = err as { code?: unknown; name?: unknown; cause?: { code?: unknown } } | null;
  const code = typeof e?.code === 'string' ? e.code : typeof e?.cause?.code === 'string' ? e.cause.code : undefined;
  if (code === 'UND_ERR_HEADERS_TIMEOUT' || code === 'UND_ERR_BODY_TIMEOUT' || e?.name === 'TimeoutError') return 'INFERENCE_GENERATION_TIMEOUT';
  return 'INFERENCE_UPSTREAM_UNAVAILABLE';
}

/** The code of an HTTP status the upstream answered: 429 rate-limited, 5xx unavailable, other 4xx refused. */
export function statusFailureCode(status: number): UpstreamFailureCode {
  if (status === 429) return 'INFERENCE_UPSTREAM_RATE_LIMITED';
  if (status === 408 || status === 504) return 'INFERENCE_GENERATION_TIMEOUT';
  return status >= 500 ? 'INFERENCE_UPSTREAM_UNAVAILABLE' : 'INFERENCE_UPSTREAM_REFUSED';
}

/** An upstream's `Retry-After` in seconds (a delta or an HTTP date), bounded to [1, 3600]; undefined when absent or unreadable. */
export function retryAfterSeconds(value: string | string[] | undefined, now = Date.now()): number | undefined {
  const raw = (Array.isArray(value) ? value[0] : value)?.trim();
  if (!raw) return undefined;
  const seconds = /^\d+$/.test(raw) ? Number(raw) : Math.ceil((Date.parse(raw) - now) / 1000);
  if (!Number.isFinite(seconds)) return undefined;
  return Math.min(3600, Math.max(1, seconds));
}
