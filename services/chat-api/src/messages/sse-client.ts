import { inCurrentContext, markFirstByte } from '@samosachaat/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';

/**
 * The client end of an answer stream: a hijacked reply written with backpressure. `write`
 * waits for 'drain' whenever the socket's buffer is full, so the caller stops pulling from
 * inference until the client reads again; a client that left is never written to again. A
 * client that stays connected but reads nothing for `stallTimeoutMs` is cut off (and then
 * treated like one that left), so it cannot hold a stream slot forever.
 */
export class SseClient {
  private gone = false;
  private ended = false;
  private wake: (() => void) | undefined;

  constructor(
    private readonly request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly stallTimeoutMs: number,
    onDisconnect: () => void,
  ) {
    const res = reply.raw;
    // Bound to the request's async context so the listener logs with its trace and user.
    const onClose = inCurrentContext(() => {
      if (this.ended) return;
      this.gone = true;
      this.wake?.();
      onDisconnect();
    });
    // The client may leave while inference is still queueing: listen from the start. (Not
    // request.raw.destroyed: the request stream is destroyed once its body has been read.)
    if (res.destroyed || res.socket?.destroyed === true) queueMicrotask(onClose);
    else res.once('close', onClose);
  }

  /** True once the client went away before the answer ended. */
  get disconnected(): boolean {
    return this.gone;
  }

  /** Bytes handed to the socket that it has not flushed yet. */
  get bufferedBytes(): number {
    return this.gone ? 0 : this.reply.raw.writableLength;
  }

  /**
   * Takes the reply over from Fastify and sends the event-stream headers, with `first` when
   * given: the headers and the first bytes leave in one write (one packet for the client to
   * wake up for), else the headers alone at once. Resolves like {@link write}.
   */
  open(headers: Record<string, string>, first?: Buffer): Promise<void> | undefined {
    this.reply.hijack();
    if (this.gone) return undefined;
    const res = this.reply.raw;
    const inherited: Record<string, string> = {};
    // x-trace-id and traceparent were set on the Fastify reply; a hijacked reply must carry them itself.
    for (const [name, value] of Object.entries(this.reply.getHeaders())) if (value !== undefined) inherited[name] = String(value);
    // Corked: the header block and `first` leave in one writev. The header block is flushed
    // on its own (a UTF-8 string write, which flattens it) rather than sent ahead of `first`
    // by res.write: that path writes it as latin1 without flattening, and the response keeps
    // it for its whole life as a tree of ~30 concatenated strings (~1 KiB per open stream).
    res.cork();
    try {
      res.writeHead(200, {
        ...inherited,
        ...headers,
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache, no-transform',
        'x-accel-buffering': 'no',
      });
      res.flushHeaders();
      markFirstByte(this.request);
      return first === undefined ? undefined : this.write(first);
    } finally {
      res.uncork();
    }
  }

  /**
   * Writes to the client. Undefined when the bytes were taken at once (the common case: no
   * promise made per event); else a promise that settles once the client has drained them, or
   * once it was cut off for reading nothing for the stall timeout.
   */
  write(bytes: Buffer | string): Promise<void> | undefined {
    if (this.gone) return undefined;
    const res = this.reply.raw;
    if (res.write(bytes)) return undefined;
    return new Promise<void>((resolve) => {
      const timer = setTimeout(() => {
        // A reader that never reads: cut it off; 'close' then marks the client gone.
        res.destroy();
      }, this.stallTimeoutMs);
      const done = () => {
        clearTimeout(timer);
        res.off('drain', done);
        this.wake = undefined;
        resolve();
      };
      this.wake = done;
      res.once('drain', done);
    });
  }

  abandon(): void {
    this.ended = true;
  }

  /** Ends the response (a no-op if the client is gone). */
  end(): void {
    this.ended = true;
    if (!this.gone) this.reply.raw.end();
  }
}
