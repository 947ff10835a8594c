/** One server-sent event. */
export interface SseEvent {
  /** The `event:` field; undefined for the default `message` type. */
  event: string | undefined;
  /** The `data:` lines joined with `\n`. */
  data: string;
}

/**
 * An incremental parser for `text/event-stream` bodies (the WHATWG algorithm, minus
 * `id`/`retry`, which model servers do not use). Network chunks may split a line, a
 * `\r\n` pair or a multi-byte UTF-8 character anywhere; `push` keeps the remainder until
 * the next chunk completes it.
 */
export class SseParser {
  private readonly decoder = new TextDecoder('utf-8');
  private buffer = '';
  private dataLines: string[] = [];
  private eventType: string | undefined;
  private skipLeadingNewline = false;
  /** Bytes buffered for a line that has not ended; bounds memory against a stream without newlines. */
  readonly maxLineChars: number;

  constructor(options: { maxLineChars?: number } = {}) {
    this.maxLineChars = options.maxLineChars ?? 1_048_576;
  }

  /** Feeds a chunk; returns the events it completed, in order. */
  push(chunk: Uint8Array | string): SseEvent[] {
    let text = typeof chunk === 'string' ? chunk : this.decoder.decode(chunk, { stream: true });
    if (this.skipLeadingNewline && text.length > 0) {
      if (text.charCodeAt(0) === 10) text = text.slice(1);
      this.skipLeadingNewline = false;
    }
    this.buffer += text;
    const events: SseEvent[] = [];
    let start = 0;
    for (;;) {
      const cr = this.buffer.indexOf('\r', start);
      const lf = this.buffer.indexOf('\n', start);
      if (cr === -1 && lf === -1) break;
      const end = cr === -1 ? lf : lf === -1 ? cr : Math.min(cr, lf);
      this.line(this.buffer.slice(start, end), events);
      if (end === cr && this.buffer.charCodeAt(end + 1) === 10) start = end + 2;
      else {
        // A lone \r at the very end: its \n may arrive with the next chunk.
        if (end === cr && end === this.buffer.length - 1) this.skipLeadingNewline = true;
        start = end + 1;
      }
    }
    this.buffer = this.buffer.slice(start);
    if (this.buffer.length > this.maxLineChars) throw new Error(`event-stream line longer than ${this.maxLineChars} characters`);
    return events;
  }

  /** True when a partial line or event is pending (the stream ended mid-event). */
  get hasPartial(): boolean {
    return this.buffer.length > 0 || this.dataLines.length > 0;
  }

  private line(line: string, events: SseEvent[]): void {
    if (line === '') {
      if (this.dataLines.length > 0) events.push({ event: this.eventType, data: this.dataLines.join('\n') });
      this.dataLines = [];
      this.eventType = undefined;
      return;
    }
    if (line.charCodeAt(0) === 58 /* : comment */) return;
    const colon = line.indexOf(':');
    const field = colon === -1 ? line : line.slice(0, colon);
    let value = colon === -1 ? '' : line.slice(colon + 1);
    if (value.charCodeAt(0) === 32) value = value.slice(1);
    if (field === 'data') this.dataLines.push(value);
    else if (field === 'event') this.eventType = value;
  }
}
