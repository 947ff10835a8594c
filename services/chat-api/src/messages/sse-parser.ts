/** One complete server-sent event: its exact bytes and what its data lines say. */
export interface SseEvent {
  /** The event exactly as received, blank-line terminator included. */
  raw: Buffer;
  /** The `data:` lines joined with `\n`, or undefined when the event has none. */
  data: string | undefined;
}

const LF = 0x0a;
const CR = 0x0d;

/** Thrown when an event grows past the size limit without ending. */
export class SseEventTooLargeError extends Error {
  constructor(limit: number) {
    super(`an event exceeded ${limit} bytes without ending`);
    this.name = 'SseEventTooLargeError';
  }
}

function dataOf(text: string): string | undefined {
  let data: string[] | undefined;
  for (const line of text.split(/\r\n|\r|\n/)) {
    if (line.length === 0 || line.startsWith(':')) continue;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    if (field !== 'data') continue;
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.startsWith(' ')) value = value.slice(1);
    (data ??= []).push(value);
  }
  return data?.join('\n');
}

/**
 * Splits a byte stream into server-sent events (lines end in LF, CRLF or CR; an empty line
 * ends an event) without re-encoding anything, so each event can be forwarded byte for
 * byte. Event boundaries are ASCII, so a multi-byte character is never cut in two. An event
 * still incomplete when the stream ends is never returned (the SSE rule for dispatch).
 */
export class SseParser {
  private pending: Buffer = Buffer.alloc(0);
  private scanned = 0;
  private lineStart = true;

  constructor(private readonly maxEventBytes: number = 1024 * 1024) {}

  /** Feeds a chunk; returns the events it completed, in order. */
  push(chunk: Buffer): SseEvent[] {
    this.pending = this.pending.length === 0 ? chunk : Buffer.concat([this.pending, chunk]);
    const events: SseEvent[] = [];
    let eventStart = 0;
    let i = this.scanned;
    const buf = this.pending;
    while (i < buf.length) {
      const byte = buf[i] as number;
      if (byte !== LF && byte !== CR) {
        this.lineStart = false;
        i++;
        continue;
      }
      // A CR at the very end may be the first half of CRLF: wait for the next byte.
      if (byte === CR && i + 1 === buf.length) break;
      const end = byte === CR && buf[i + 1] === LF ? i + 2 : i + 1;
      if (this.lineStart) {
        const raw = buf.subarray(eventStart, end);
        events.push({ raw, data: dataOf(raw.toString('utf8')) });
        eventStart = end;
      }
      this.lineStart = true;
      i = end;
    }
    this.pending = buf.subarray(eventStart);
    this.scanned = i - eventStart;
    if (this.pending.length > this.maxEventBytes) throw new SseEventTooLargeError(this.maxEventBytes);
    return events;
  }

  /** Bytes received that do not form a complete event yet. */
  get bufferedBytes(): number {
    return this.pending.length;
  }
}
