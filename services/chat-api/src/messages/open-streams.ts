/** Something holding stream bytes in memory. */
export interface BufferHolder {
  readonly bufferedBytes: number;
}

/**
 * The answer streams open right now, so `chat_stream_buffered_bytes` can be computed at
 * scrape time (nothing is counted on the hot path) and a slow client's cost is visible.
 */
export class OpenStreams {
  private readonly open = new Set<BufferHolder>();

  add(stream: BufferHolder): () => void {
    this.open.add(stream);
    return () => this.open.delete(stream);
  }

  /** Bytes held for all open streams: unflushed socket buffers plus partial events. */
  bufferedBytes(): number {
    let total = 0;
    for (const stream of this.open) total += stream.bufferedBytes;
    return total;
  }
}
