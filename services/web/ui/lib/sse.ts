/**
 * Incremental server-sent-events parsing for answers streamed over `fetch` (EventSource cannot
 * POST or send an Authorization header). Bytes arrive in arbitrary chunks; an event is only
 * complete at its blank line, so the parser keeps the unfinished tail between chunks.
 */

/** One event of an answer stream: chat-api forwards inference's frames unchanged. */
export type AnswerEvent =
  | { kind: 'token'; token: string }
  | { kind: 'error'; message: string }
  | { kind: 'done'; stopped?: true }
  | { kind: 'other'; data: unknown };

/** Splits a byte stream into the `data` payloads of complete SSE events. */
export class SseParser {
  private buffer = '';
  private readonly decoder = new TextDecoder();

  /** Feeds one chunk; returns the data of every event it completed. */
  push(chunk: Uint8Array): string[] {
    this.buffer += this.decoder.decode(chunk, { stream: true }).replace(/\r\n?/g, '\n');
    return this.drain();
  }

  /** Flushes the decoder at end of stream (a final event without its blank line counts). */
  end(): string[] {
    this.buffer += this.decoder.decode();
    const events = this.drain();
    if (this.buffer.trim()) events.push(...this.dataOf(this.buffer));
    this.buffer = '';
    return events;
  }

  private drain(): string[] {
    const out: string[] = [];
    let idx: number;
    while ((idx = this.buffer.indexOf('\n\n')) !== -1) {
      const block = this.buffer.slice(0, idx);
      this.buffer = this.buffer.slice(idx + 2);
      out.push(...this.dataOf(block));
    }
    return out;
  }

  private dataOf(block: string): string[] {
    const lines = block
      .split('\n')
      .filter((l) => l.startsWith('data:'))
      .map((l) => l.slice(5).replace(/^ /, ''));
    return lines.length ? [lines.join('\n')] : [];
  }
}

/** Interprets one `data` payload of an answer stream. */
export function toAnswerEvent(data: string): AnswerEvent {
  let parsed: unknown;
  try {
    parsed = JSON.parse(data);
  } catch {
    return { kind: 'other', data };
  }
  if (parsed && typeof parsed === 'object') {
    const o = parsed as Record<string, unknown>;
    if (typeof o['token'] === 'string') return { kind: 'token', token: o['token'] };
    if ('error' in o) {
      const e = o['error'];
      // chat-api sends a string; an envelope-shaped object is accepted too.
      const message = typeof e === 'string' ? e : e && typeof e === 'object' && typeof (e as { message?: unknown }).message === 'string' ? (e as { message: string }).message : 'the answer failed';
      return { kind: 'error', message };
    }
    if (o['done'] === true) return o['stopped'] === true ? { kind: 'done', stopped: true } : { kind: 'done' };
  }
  return { kind: 'other', data: parsed };
}

/** Reads a streamed answer to its end, calling `onEvent` for each event as it arrives. */
export async function readAnswerStream(body: ReadableStream<Uint8Array>, onEvent: (event: AnswerEvent) => void): Promise<void> {
  const parser = new SseParser();
  const reader = body.getReader();
  try {
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      for (const data of parser.push(value)) onEvent(toAnswerEvent(data));
    }
    for (const data of parser.end()) onEvent(toAnswerEvent(data));
  } finally {
    reader.releaseLock();
  }
}
