/** How a generation ended, as counted by `/stats` and the `outcome` metric label. */
export type StatsOutcome = 'completed' | 'client_disconnected' | 'upstream_error' | 'timeout' | 'shutdown';

const WINDOW_S = 60;

/**
 * In-process counters behind `GET /stats`: generations by outcome, tokens generated, and
 * tokens per second over the last minute (60 one-second buckets, so a burst fades out).
 */
export class GenerationStats {
  readonly startedAt: number;
  private readonly outcomes: Record<StatsOutcome, number> = { completed: 0, client_disconnected: 0, upstream_error: 0, timeout: 0, shutdown: 0 };
  private tokens = 0;
  private readonly buckets = new Float64Array(WINDOW_S);
  private readonly bucketSecond = new Float64Array(WINDOW_S).fill(-1);

  constructor(private readonly now: () => number = Date.now) {
    this.startedAt = now();
  }

  /** Counts `n` generated tokens now. */
  addTokens(n: number): void {
    this.tokens += n;
    const second = Math.floor(this.now() / 1000);
    const i = second % WINDOW_S;
    if (this.bucketSecond[i] !== second) {
      this.bucketSecond[i] = second;
      this.buckets[i] = 0;
    }
    this.buckets[i] = (this.buckets[i] as number) + n;
  }

  /** Counts one finished generation. */
  finished(outcome: StatsOutcome): void {
    this.outcomes[outcome]++;
  }

  /** Tokens per second over the last minute (the current, partial second included). */
  tokensPerSecond(): number {
    const current = Math.floor(this.now() / 1000);
    let sum = 0;
    for (let i = 0; i < WINDOW_S; i++) {
      const second = this.bucketSecond[i] as number;
      if (second > current - WINDOW_S && second <= current) sum += this.buckets[i] as number;
    }
    return Math.round((sum / WINDOW_S) * 100) / 100;
  }

  /** The `generations` and token parts of `/stats`. */
  toJSON() {
    const failed = this.outcomes.upstream_error + this.outcomes.timeout + this.outcomes.shutdown;
    return {
      generations: {
        completed: this.outcomes.completed,
        failed,
        client_disconnected: this.outcomes.client_disconnected,
        by_outcome: { ...this.outcomes },
      },
      tokens_generated: this.tokens,
      tokens_per_second_1m: this.tokensPerSecond(),
      uptime_seconds: Math.round((this.now() - this.startedAt) / 1000),
    };
  }
}
