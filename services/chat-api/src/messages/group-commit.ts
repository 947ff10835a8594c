/**
 * Group commit: writes that arrive while earlier ones are in the database go together, as one
 * statement, when a slot frees. With nothing in flight a write leaves at once (alone: no added
 * latency when the load is light); under load the batches grow by themselves, so the number of
 * statements (and round trips) per second stays bounded while the writes per second grow. On an
 * embedded database, where every statement queues behind the last, that is the difference
 * between a first token after a few milliseconds and one after a second at 1 000 streams.
 */
export interface GroupCommitOptions<I, O> {
  /**
   * Writes `items` in one statement; resolves with one result per item, in order. The statement
   * is all or nothing: when it fails, each item is written again alone, so only the items that
   * fail alone fail.
   */
  run(items: I[]): Promise<O[]>;
  /** Items with one key never share a batch (each batch locks a row of that key once). */
  key(item: I): string;
  /** Items per statement at most. */
  maxBatch: number;
  /** Statements in flight at most (keep it below the connection pool's size). */
  maxInFlight: number;
  /** Told the size of every batch sent. */
  onBatch?(size: number): void;
  /**
   * Whether a failed batch is worth writing again one item at a time (default: always). Say no
   * for errors every item would meet alone — the database is down — so a batch of N does not
   * wait N more times for the same failure.
   */
  splitOnFailure?(err: unknown): boolean;
}

interface Pending<I, O> {
  item: I;
  resolve(value: O): void;
  reject(err: unknown): void;
}

export class GroupCommit<I, O> {
  private queue: Pending<I, O>[] = [];
  private inFlight = 0;
  private scheduled = false;

  constructor(private readonly options: GroupCommitOptions<I, O>) {
    if (!(options.maxBatch >= 1) || !(options.maxInFlight >= 1)) throw new RangeError('GroupCommit: maxBatch and maxInFlight must be at least 1');
  }

  /** Writes waiting for a slot. */
  get waiting(): number {
    return this.queue.length;
  }

  /** Queues a write; resolves with its result once its batch is committed. */
  submit(item: I): Promise<O> {
    return new Promise<O>((resolve, reject) => {
      this.queue.push({ item, resolve, reject });
      // Writes submitted in the same turn of the event loop leave together.
      if (!this.scheduled) {
        this.scheduled = true;
        queueMicrotask(() => {
          this.scheduled = false;
          this.pump();
        });
      }
    });
  }

  private pump(): void {
    while (this.inFlight < this.options.maxInFlight && this.queue.length > 0) this.send(this.take());
  }

  /** The oldest waiting writes, at most maxBatch, one per key (later ones of a key wait). */
  private take(): Pending<I, O>[] {
    const batch: Pending<I, O>[] = [];
    const keys = new Set<string>();
    const rest: Pending<I, O>[] = [];
    for (const pending of this.queue) {
      const key = this.options.key(pending.item);
      if (batch.length < this.options.maxBatch && !keys.has(key)) {
        keys.add(key);
        batch.push(pending);
      } else rest.push(pending);
    }
    this.queue = rest;
    return batch;
  }

  private send(batch: Pending<I, O>[]): void {
    this.inFlight++;
    this.options.onBatch?.(batch.length);
    let run: Promise<O[]>;
    try {
      run = this.options.run(batch.map((p) => p.item));
    } catch (err) {
      run = Promise.reject(err);
    }
    run
      .then(
        (results) => {
          if (results.length !== batch.length) throw new Error(`GroupCommit: the batch of ${batch.length} answered ${results.length} results`);
          batch.forEach((p, i) => p.resolve(results[i] as O));
        },
        // One bad write (a value the database refuses) must not fail the others it shared a
        // statement with: a failed batch is written again one write at a time, in order, so
        // each write gets its own result or its own error.
        async (err: unknown) => {
          if (batch.length === 1 || this.options.splitOnFailure?.(err) === false) throw err;
          for (const p of batch) {
            try {
              const [result] = await this.runOne(p.item);
              p.resolve(result as O);
            } catch (one) {
              p.reject(one);
            }
          }
        },
      )
      .catch((err: unknown) => {
        for (const p of batch) p.reject(err);
      })
      .finally(() => {
        this.inFlight--;
        this.pump();
      });
  }

  private async runOne(item: I): Promise<O[]> {
    const results = await this.options.run([item]);
    if (results.length !== 1) throw new Error(`GroupCommit: the batch of 1 answered ${results.length} results`);
    return results;
  }
}
