import type { TestUser } from './harness.js';

/** The data of each event of an SSE body, parsed as JSON. */
export function parseEvents(text: string): Array<Record<string, unknown>> {
  return text
    .split(/\r?\n\r?\n/)
    .filter((block) => block.trim().length > 0)
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
