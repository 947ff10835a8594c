/** Why a stored answer ended short, as the page says it (no DOM: unit-tested in Node). */
import type { Message } from './types.js';

/** What a reload shows of why a stored answer ended short: the reason chat-api stored with it. */
export function storedNote(m: Pick<Message, 'status' | 'failure_code' | 'failure_message'>): string | undefined {
  if (m.status === 'complete') return undefined;
  if (m.failure_code === 'stopped') return 'Stopped. What was generated is saved.';
  if (m.failure_message) return `The answer was cut short: ${m.failure_message}`;
  return m.status === 'error' ? 'The answer failed before any text arrived.' : undefined;
}
