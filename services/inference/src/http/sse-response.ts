import type { OutgoingHttpHeaders } from 'node:http';
import { markFirstByte } from '@samosachaat/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * A hijacked `text/event-stream` response written with backpressure: `send` resolves once
 * the socket can take more (or the client is gone, after which writes are dropped).
 */
export class SseResponse {
  private opened = false;
  private sentFrame = false;

  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
  ) {}

  /** True once the client is gone or the stream has ended. */
  get closed(): boolean {
    const res = this.reply.raw;
    return res.destroyed || res.writableEnded;
  }

  /** Sends status 200 and the SSE headers (with the plugin's trace headers). */
  open(): void {
    if (this.opened) return;
    this.opened = true;
    this.reply.hijack();
    const res = this.reply.raw;
    // Hijacking skips Fastify's header handling: carry x-trace-id and traceparent over by hand.
    const headers: OutgoingHttpHeaders = {};
    for (const [name, value] of Object.entries(this.reply.getHeaders())) if (value !== undefined) headers[name] = value;
    headers['content-type'] = 'text/event-stream; charset=utf-8';
    headers['cache-control'] = 'no-cache, no-transform';
    headers['x-accel-buffering'] = 'no';
    res.writeHead(200, headers);
    res.flushHeaders();
    markFirstByte(this.request);
  }

  /** Writes `data: <data>\n\n` and waits for 'drain' when the socket buffer is full. */
  async send(data: string): Promise<void> {
    if (this.closed) return;
    const res = this.reply.raw;
    const written = res.write(`data: ${data}\n\n`);
    // Node corks the socket for a chunked write and uncorks it on the next tick, after every
    // microtask queued meanwhile (the span, the metrics, llama.cpp's scheduling of the next
    // token). The first frame (time to first token) goes out now; later ones keep Node's
    // coalescing of the frames of one tick into one write.
    if (!this.sentFrame) {
      this.sentFrame = true;
      const socket = res.socket;
      if (socket != null && socket.writableCorked > 0) socket.uncork();
    }
    if (written) return;
    await new Promise<void>((resolve) => {
      const done = () => {
        res.off('drain', done);
        res.off('close', done);
        resolve();
      };
      res.on('drain', done);
      res.on('close', done);
    });
  }

  /** Ends the response. */
  end(): void {
    if (!this.closed) this.reply.raw.end();
  }
}
