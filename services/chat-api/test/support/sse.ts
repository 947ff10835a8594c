import type { TestUser } from './harness.js';

/** The data of each event of an SSE body, parsed as JSON (comments, such as heartbeats, left out). */
export function parseEvents(text: string): Array<Record<string, unknown>> {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.split(/\r?\n/).some((l) => l.startsWith('data:')))
    .map((block) => {
      const data = block
        .split(/\r?\n/)
        .filter((l) => l.startsWith('data:'))
        .map((l) => l.slice(5).replace(/^ /, ''))
        .join('\n');
      return JSON.parse(data) as Record<string, unknown>;
    });
}

/** A streamed answer read to its end. */
export interface StreamResult {
  status: number;
  headers: Headers;
  text: string;
  events: Array<Record<string, unknown>>;
}

/** POSTs to a streaming route and reads the whole answer. */
export async function stream(baseUrl: string, path: string, user: TestUser, body?: unknown): Promise<StreamResult> {
  const headers: Record<string, string> = { authorization: `Bearer ${user.token}` };
  if (body !== undefined) headers['content-type'] = 'application/json';
  const res = await fetch(`${baseUrl}${path}`, { method: 'POST', headers, body: body === undefined ? undefined : JSON.stringify(body) });
  const text = await res.text();
  const isStream = (res.headers.get('content-type') ?? '').startsWith('text/event-stream');
  return { status: res.status, headers: res.headers, text, events: isStream ? parseEvents(text) : [] };
}

/** Polls until `check` returns a truthy value or the deadline passes. */
export async function eventually<T>(check: () => T | undefined | false | Promise<T | undefined | false>, timeoutMs = 5000, what = 'condition'): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await check();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`${what} not met within ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;

/** chat-api's terminal event for a stored answer, as {@link storedEvents} spells it. */
export const DONE_STORED = Object.freeze({ done: true, message_id: '<stored>' });

/**
 * The events with the `message_id` of a `done` event — which must be a message id — written
 * as `<stored>`, so a whole stream compares exactly; `storedId` reads the id itself.
 */
export function storedEvents(events: ReadonlyArray<Record<string, unknown>>): Array<Record<string, unknown>> {
  return events.map((e) => {
    if (e.done !== true || e.message_id === undefined) return e;
    if (typeof e.message_id !== 'string' || !UUID.test(e.message_id)) throw new Error(`done carries a message_id that is not one: ${JSON.stringify(e)}`);
    return { ...e, message_id: '<stored>' };
  });
}

/** The stored answer's id that a stream's final `done` names. */
export function storedId(events: ReadonlyArray<Record<string, unknown>>): string {
  const last = events.at(-1);
  if (last?.done !== true || typeof last.message_id !== 'string') throw new Error(`the stream did not end with a stored done: ${JSON.stringify(last)}`);
  return last.message_id;
}

/** An SSE body up to its last `done` event: what chat-api forwards of inference's stream (it sends its own done). */
export function beforeDone(text: string): string {
  const at = text.lastIndexOf('data: {"done"');
  return at < 0 ? text : text.slice(0, at);
}
