import type { Readable } from 'node:stream';
import { redactedExcerpt } from '@samosachaat/observability';

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
