import type { Database } from '@samosachaat/db';
import type { Observability } from '@samosachaat/observability';

/** An answer in flight on this instance that can be told to stop. */
export interface Stoppable {
  stop(): void;
}

/**
 * Stop requests for the answers this instance streams. A stop is a flag on the answer's row
 * (`stop_requested_at`), set by whichever replica received `POST …/stop`: the instance streaming
 * the answer finds it with one query every `pollMs` for all its answers in flight (not one per
 * answer), so a stop lands within about `pollMs` wherever it was asked. A stop asked on this
 * instance is applied at once, without waiting for the poll.
 */
export class StopWatcher {
  private readonly running = new Map<string, Stoppable>();
  private timer: NodeJS.Timeout | undefined;
  private polling = false;

  constructor(
    private readonly db: Database,
    private readonly obs: Observability,
    private readonly pollMs: number,
  ) {}

  /** Ids of this instance's answers in flight. */
  get ids(): IterableIterator<string> {
    return this.running.keys();
  }

  get size(): number {
    return this.running.size;
  }

  has(id: string): boolean {
    return this.running.has(id);
  }

  add(id: string, answer: Stoppable): void {
    this.running.set(id, answer);
    if (this.timer === undefined) {
      this.timer = setInterval(() => void this.poll(), this.pollMs);
      this.timer.unref();
    }
  }

  delete(id: string): void {
    this.running.delete(id);
    if (this.running.size === 0 && this.timer !== undefined) {
      clearInterval(this.timer);
      this.timer = undefined;
    }
  }

  /** Stops an answer of this instance now; false when it is not streaming here. */
  stopHere(id: string): boolean {
    const answer = this.running.get(id);
    answer?.stop();
    return answer !== undefined;
  }

  /** One query for every answer in flight here: stops those a stop was requested for. */
  async poll(): Promise<void> {
    if (this.polling || this.running.size === 0) return;
    this.polling = true;
    try {
      const { rows } = await this.db.query<{ id: string }>(
        'SELECT id FROM messages WHERE id = ANY($1::uuid[]) AND stop_requested_at IS NOT NULL',
        [[...this.running.keys()]],
        { operation: 'messages.stop_requests' },
      );
      for (const row of rows) this.stopHere(row.id);
    } catch (err) {
      this.obs.rateLimited('stop-poll').warning('stop_poll_failed', { err });
    } finally {
      this.polling = false;
    }
  }
}
