/** One complete server-sent event: its exact bytes and what its data lines say. */
export interface SseEvent {
  /** The event exactly as received, blank-line terminator included. */
  raw: Buffer;
  /** The `data:` lines joined with `\n`, or undefined when the event has none. */
  data: string | undefined;
}

const LF = 0x0a;
const CR = 0x0d;
const COLON = 0x3a;
const SPACE = 0x20;
// "data"
const D = 0x64;
const A = 0x61;
const T = 0x74;

/** Thrown when an event grows past the size limit without ending. */
export class SseEventTooLargeError extends Error {
  constructor(limit: number) {
    super(`an event exceeded ${limit} bytes without ending`);
    this.name = 'SseEventTooLargeError';
  }
}

/**
 * The `data:` lines of the event in `buf[start, end)` joined with `\n` (undefined when it has
 * none), decoded straight from the bytes: one string per data line, nothing else.
 */
export function eventData(buf: Buffer, start: number, end: number): string | undefined {
  let data: string | undefined;
  let i = start;
  while (i < end) {
    let eol = i;
    while (eol < end && buf[eol] !== LF && buf[eol] !== CR) eol++;
    const lineEnd = eol;
    // Past the terminator: CRLF, CR or LF.
    const next = eol < end && buf[eol] === CR && eol + 1 < end && buf[eol + 1] === LF ? eol + 2 : eol + 1;
    // A field named exactly "data" (then ':' or the line's end); comments and other fields skipped.
    if (lineEnd - i >= 4 && buf[i] === D && buf[i + 1] === A && buf[i + 2] === T && buf[i + 3] === A && (lineEnd === i + 4 || buf[i + 4] === COLON)) {
      let v = Math.min(i + 5, lineEnd);
      if (v < lineEnd && buf[v] === SPACE) v++;
      const value = buf.toString('utf8', v, lineEnd);
      data = data === undefined ? value : `${data}\n${value}`;
    }
    i = next;
  }
  return data;
}

/**
 * Splits a byte stream into server-sent events (lines end in LF, CRLF or CR; an empty line
 * ends an event) without re-encoding anything, so each event can be forwarded byte for
 * byte. Event boundaries are ASCII, so a multi-byte character is never cut in two. An event
 * still incomplete when the stream ends is never returned (the SSE rule for dispatch).
 *
 * Two ways to read it: {@link push} returns event objects; {@link scan} allocates nothing per
 * event — the completed events are byte ranges of {@link buffer} ({@link eventStart} /
 * {@link eventEnd}), valid until the next call — for the answer relay's hot path.
 */
export class SseParser {
  private pending: Buffer = Buffer.alloc(0);
  private scanned = 0;
  private lineStart = true;
  private current: Buffer = this.pending;
  private readonly bounds: number[] = [];
  private count = 0;
  private carried = false;

  constructor(private readonly maxEventBytes: number = 1024 * 1024) {}

  /**
   * Feeds a chunk; returns how many events it completed. Event i is
   * `buffer[eventStart(i), eventEnd(i))`.
   */
  scan(chunk: Buffer): number {
    this.carried = this.pending.length > 0;
    const buf = this.carried ? Buffer.concat([this.pending, chunk]) : chunk;
    this.current = buf;
    const bounds = this.bounds;
    let count = 0;
    let eventStart = 0;
    let i = this.scanned;
    let lineStart = this.lineStart;
    const length = buf.length;
    while (i < length) {
      const byte = buf[i] as number;
      if (byte !== LF && byte !== CR) {
        lineStart = false;
        i++;
        continue;
      }
      // A CR at the very end may be the first half of CRLF: wait for the next byte.
      if (byte === CR && i + 1 === length) break;
      const end = byte === CR && buf[i + 1] === LF ? i + 2 : i + 1;
      if (lineStart) {
        bounds[2 * count] = eventStart;
        bounds[2 * count + 1] = end;
        count++;
        eventStart = end;
      }
      lineStart = true;
      i = end;
    }
    this.lineStart = lineStart;
    this.pending = eventStart === length ? EMPTY : buf.subarray(eventStart);
    this.scanned = i - eventStart;
    this.count = count;
    if (this.pending.length > this.maxEventBytes) throw new SseEventTooLargeError(this.maxEventBytes);
    return count;
  }

  /** The bytes the last {@link scan} completed events in. */
  get buffer(): Buffer {
    return this.current;
  }

  eventStart(i: number): number {
    return this.bounds[2 * i] as number;
  }

  eventEnd(i: number): number {
    return this.bounds[2 * i + 1] as number;
  }

  /** True when the last scan's events are exactly its chunk: nothing carried in, nothing left over. */
  get wholeChunk(): boolean {
    return !this.carried && this.count > 0 && this.pending.length === 0;
  }

  /** Feeds a chunk; returns the events it completed, in order. */
  push(chunk: Buffer): SseEvent[] {
    const n = this.scan(chunk);
    const events: SseEvent[] = [];
    const buf = this.current;
    for (let k = 0; k < n; k++) {
      const start = this.eventStart(k);
      const end = this.eventEnd(k);
      events.push({ raw: buf.subarray(start, end), data: eventData(buf, start, end) });
    }
    return events;
  }

  /** Bytes received that do not form a complete event yet. */
  get bufferedBytes(): number {
    return this.pending.length;
  }
}

const EMPTY = Buffer.alloc(0);
