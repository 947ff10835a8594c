/**
 * Incremental server-sent-events parsing for answers streamed over `fetch` (EventSource cannot
 * POST or send an Authorization header). Bytes arrive in arbitrary chunks; the event-stream
 * grammar (line endings split across chunks, multi-line data, comments, a final event without
 * its blank line) is left to `eventsource-parser`, a maintained implementation of the spec's
 * parsing rules (services/web/README.md, "The browser UI").
 */
import { createParser, type EventSourceParser } from 'eventsource-parser';

/** One event of an answer stream: chat-api forwards inference's frames unchanged. */
export type AnswerEvent =
  | { kind: 'token'; token: string }
  | { kind: 'error'; message: string }
  | { kind: 'done'; stopped?: true }
  | { kind: 'other'; data: unknown };

/** Splits a byte stream into the `data` payloads of complete SSE events. */
export class SseParser {
  private readonly decoder = new TextDecoder();
  private readonly parser: EventSourceParser;
  private out: string[] = [];

  constructor() {
    this.parser = createParser({ onEvent: (event) => this.out.push(event.data) });
  }

  /** Feeds one chunk; returns the data of every event it completed. */
  push(chunk: Uint8Array): string[] {
    this.parser.feed(this.decoder.decode(chunk, { stream: true }));
    return this.take();
  }

  /** Flushes the decoder at end of stream (a final event without its blank line counts). */
  end(): string[] {
    const rest = this.decoder.decode();
    if (rest) this.parser.feed(rest);
    // A stream cut after a data line still delivers that event, as the old parser did.
    this.parser.feed('\n\n');
    this.parser.reset();
    return this.take();
  }

  private take(): string[] {
    const out = this.out;
    this.out = [];
    return out;
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
