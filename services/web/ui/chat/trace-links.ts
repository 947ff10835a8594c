/**
 * Remembers which trace produced each answer, so the "trace" link survives a reload. chat-api
 * does not store trace ids; the page knows the id it sent and the `x-user-message-id` of the
 * question, so answers are keyed by the user message they answer. Bounded, oldest dropped.
 */

const KEY = 'samosachaat.answer-traces';
const LIMIT = 500;

function load(): Array<[string, string]> {
  try {
    const raw = localStorage.getItem(KEY);
    return raw ? (JSON.parse(raw) as Array<[string, string]>) : [];
  } catch {
    return [];
  }
}

/** Records that the answer to `userMessageId` was produced under `traceId`. */
export function rememberTrace(userMessageId: string, traceId: string): void {
  const entries = load().filter(([id]) => id !== userMessageId);
  entries.push([userMessageId, traceId]);
  try {
    localStorage.setItem(KEY, JSON.stringify(entries.slice(-LIMIT)));
  } catch {
    // Storage full or disabled: the link is only lost after a reload.
  }
}

/** The trace of the answer to `userMessageId`, when this browser saw it. */
export function traceFor(userMessageId: string): string | undefined {
  return load().find(([id]) => id === userMessageId)?.[1];
}
