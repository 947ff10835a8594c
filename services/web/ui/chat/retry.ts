/**
 * What the page does when a send or a regenerate is refused before any byte of the answer
 * (no DOM: unit-tested in Node). The contract is chat-api's (services/chat-api/README.md, "the
 * error contract of a send"): the error envelope `{"error":{"code","message","trace_id"}}`,
 * `Retry-After` on 503 and 429, and `x-user-message-id` when the question was stored first.
 *
 * - Stored question (the header, or a code that always stores it): the question stays on screen,
 *   the failed answer says why, and Retry regenerates the answer (no second copy of the question).
 * - Any other 5xx (a code this page does not know included): the question stays too, and Retry
 *   sends it again with the same client message id, which chat-api never stores twice (if it was
 *   stored, the duplicate's failed answer is regenerated instead).
 * - A 4xx stored nothing: the question goes back into the composer, to send again when ready.
 */

/** What the refusal says, as {@link ApiError} carries it. */
export interface Refusal {
  status: number;
  code: string;
  /** The envelope's message (may be empty). */
  detail: string;
  retryAfterS: number | null;
  /** chat-api's `x-user-message-id`: the question is stored. */
  userMessageId: string | null;
}

/** What to show and offer. */
export interface RefusalPlan {
  /** Keep the question bubble (and show a failed answer under it). */
  keepQuestion: boolean;
  /** What Retry does; null: no Retry button. */
  retry: 'regenerate' | 'resend' | null;
  /** The sentence shown: the reason, the wait, whether the question is saved. */
  text: string;
}

/**
 * Codes after which chat-api has stored the question (its README's table), for a chat-api that
 * does not send `x-user-message-id` with them.
 */
const STORED_CODES = new Set(['CHAT_INFERENCE_UNAVAILABLE', 'CHAT_INFERENCE_OVER_CAPACITY', 'CHAT_UPSTREAM_UNAVAILABLE', 'CHAT_UPSTREAM_RATE_LIMITED', 'CHAT_UPSTREAM_REFUSED', 'CHAT_INFERENCE_FAILED', 'CHAT_INFERENCE_TIMEOUT']);

/** The reason in a few words: chat-api's sentence without its own "retry …" advice. */
function reasonOf(r: Refusal): string {
  if (r.code === 'CHAT_INFERENCE_OVER_CAPACITY') return 'the model is over capacity';
  if (r.code === 'CHAT_TOO_MANY_STREAMS') return 'too many answers are streaming at once — wait for one to finish';
  if ((r.code.startsWith('WEB_') || r.code.startsWith('HTTP_')) && r.status >= 502 && r.status <= 504) return `a service behind the web server is unreachable${r.detail ? ` (${r.detail})` : ''}`;
  const detail = r.detail.replace(/[;,]\s*(please\s+)?retry\b.*$/i, '').replace(/[.\s]+$/, '').trim();
  if (detail) return detail;
  return r.status === 503 ? 'the service is unavailable' : `the request failed (HTTP ${r.status})`;
}

/** Decides what a refused send shows and what Retry does, from the status and the code. */
export function planRefusal(r: Refusal, action: 'send' | 'regenerate'): RefusalPlan {
  const stored = r.userMessageId !== null || STORED_CODES.has(r.code);
  const wait = r.retryAfterS !== null ? `, retry in ${r.retryAfterS} s` : '';
  const reason = `Not answered: ${reasonOf(r)}${wait}.`;
  if (r.status >= 500) {
    const retry = stored || action === 'regenerate' ? 'regenerate' : 'resend';
    const saved = stored || action === 'regenerate' ? ' Your question is saved.' : '';
    const fix = r.code === 'CHAT_UPSTREAM_REFUSED' ? ' An operator must fix the inference configuration.' : '';
    return { keepQuestion: true, retry, text: `${reason}${saved}${fix}` };
  }
  // 4xx: nothing was stored; the text is back in the composer.
  return { keepQuestion: false, retry: null, text: `Not sent: ${reasonOf(r)}${wait}.` };
}
