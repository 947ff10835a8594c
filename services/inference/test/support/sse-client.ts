import { SseParser } from '../../src/engines/sse-parser.js';

/** One event as received, with its arrival time. */
export interface ReceivedEvent {
  data: unknown;
  at: number;
}

/**
 * Reads an SSE response incrementally: `next()` resolves with each event as it arrives,
 * so a test can act mid-stream (disconnect, swap) and then read the rest.
 */
export class SseReader {
  readonly events: ReceivedEvent[] = [];
  /** The body exactly as received. */
  raw = '';
  private readonly parser = new SseParser();
  private readonly reader: ReadableStreamDefaultReader<Uint8Array>;
  private readonly decoder = new TextDecoder();
  private ended = false;

  constructor(response: Response) {
    if (!response.body) throw new Error('response has no body');
    this.reader = response.body.getReader();
  }

  /** Resolves once `count` events have arrived in total (or the stream ended). */
  async waitFor(count: number): Promise<ReceivedEvent[]> {
    while (this.events.length < count && !this.ended) await this.pull();
    return this.events;
  }

  /** Reads to the end of the stream. */
  async readAll(): Promise<ReceivedEvent[]> {
    while (!this.ended) await this.pull();
    return this.events;
  }

  /** Stops reading and closes the connection (a client going away). */
  async cancel(): Promise<void> {
    await this.reader.cancel();
    this.ended = true;
  }

  private async pull(): Promise<void> {
    const { value, done } = await this.reader.read();
    if (done) {
      this.ended = true;
      return;
    }
    this.raw += this.decoder.decode(value, { stream: true });
    for (const event of this.parser.push(value)) {
      this.events.push({ data: event.data === '[DONE]' ? '[DONE]' : (JSON.parse(event.data) as unknown), at: performance.now() });
    }
  }
}

/** POSTs JSON and returns the fetch Response. */
export function postJson(url: string, body: unknown, headers: Record<string, string> = {}, signal?: AbortSignal): Promise<Response> {
  return fetch(url, { method: 'POST', headers: { 'content-type': 'application/json', ...headers }, body: JSON.stringify(body), signal });
}
