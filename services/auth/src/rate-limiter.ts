/** What the limiter decided about one attempt. */
export interface RateLimitDecision {
  allowed: boolean;
  /** Attempts left in the current window after this one. */
  remaining: number;
  /** When refused: whole seconds until the oldest counted attempt leaves the window (≥ 1). */
  retryAfterSeconds: number;
}

/** Options of {@link SlidingWindowLimiter}. */
export interface LimiterOptions {
  /** Attempts allowed per window. */
  max: number;
  windowMs: number;
  /** Most keys remembered; beyond it the least recently seen key is forgotten. Default 10,000. */
  maxKeys?: number;
  now?: () => number;
}

/**
 * An exact sliding-window limiter kept in memory: per key, the times of the last `max`
 * allowed attempts. Memory is bounded by `maxKeys × max` numbers whatever the traffic;
 * refused attempts are not recorded, so a client that waits is let in again.
 */
export class SlidingWindowLimiter {
  private readonly hits = new Map<string, number[]>();
  private readonly maxKeys: number;
  private readonly now: () => number;
  private lastSweep = 0;

  constructor(private readonly options: LimiterOptions) {
    if (!Number.isInteger(options.max) || options.max < 1) throw new Error(`limiter max must be a positive integer, got ${options.max}`);
    if (!(options.windowMs > 0)) throw new Error(`limiter windowMs must be positive, got ${options.windowMs}`);
    this.maxKeys = options.maxKeys ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  /** Counts one attempt for `key` and says whether it may proceed. */
  hit(key: string): RateLimitDecision {
    const now = this.now();
    const since = now - this.options.windowMs;
    let times = this.hits.get(key);
    if (times) {
      while (times.length > 0 && (times[0] as number) <= since) times.shift();
      // Re-insert so Map order is least-recently-seen first.
      this.hits.delete(key);
    } else {
      times = [];
      this.makeRoom(now);
    }
    this.hits.set(key, times);
    if (times.length >= this.options.max) {
      const retryMs = (times[0] as number) + this.options.windowMs - now;
      return { allowed: false, remaining: 0, retryAfterSeconds: Math.max(1, Math.ceil(retryMs / 1000)) };
    }
    times.push(now);
    return { allowed: true, remaining: this.options.max - times.length, retryAfterSeconds: 0 };
  }

  /** Keys currently remembered. */
  get size(): number {
    return this.hits.size;
  }

  private makeRoom(now: number): void {
    if (this.hits.size < this.maxKeys) return;
    // A full sweep at most once per window keeps the cost amortised under a flood of new keys.
    if (now - this.lastSweep >= this.options.windowMs) {
      this.lastSweep = now;
      const since = now - this.options.windowMs;
      for (const [key, times] of this.hits) {
        const newest = times[times.length - 1];
        if (newest === undefined || newest <= since) this.hits.delete(key);
      }
    }
    while (this.hits.size >= this.maxKeys) {
      const oldest = this.hits.keys().next().value as string;
      this.hits.delete(oldest);
    }
  }
}
