import { OverCapacityError } from '../errors.js';

/** A held worker slot. */
export interface Lease {
  /** Milliseconds spent in the queue before the slot was granted. */
  readonly queuedMs: number;
  /** Gives the slot back; later calls are ignored. */
  release(): void;
}

/** Pool occupancy, reported on every change. */
export interface PoolSnapshot {
  workers: number;
  busy: number;
  queueDepth: number;
  queueLimit: number;
}

/** Options of {@link WorkerPool}. */
export interface WorkerPoolOptions {
  workers: number;
  queueLimit: number;
  /** Called after every change of `busy` or `queueDepth` (gauges). */
  onChange?: (snapshot: PoolSnapshot) => void;
  /** Clock in milliseconds (tests). */
  now?: () => number;
}

interface Waiter {
  enqueuedAt: number;
  grant: (lease: Lease) => void;
  cleanup: () => void;
}

const MAX_RETRY_AFTER_S = 120;

/**
 * A fixed number of generation slots with a bounded FIFO queue. Over capacity is refused
 * at once (never unbounded memory). While paused (a model swap), slots are not handed out
 * and new requests wait in the queue, still bounded by its limit.
 */
export class WorkerPool {
  private busyCount = 0;
  private paused = false;
  private readonly queue: Waiter[] = [];
  private idleWaiters: Array<() => void> = [];
  /** Moving average of how long a slot is held, for `Retry-After`. */
  private averageHoldMs = 0;

  private readonly now: () => number;

  constructor(private readonly options: WorkerPoolOptions) {
    this.now = options.now ?? (() => performance.now());
  }

  get snapshot(): PoolSnapshot {
    return { workers: this.options.workers, busy: this.busyCount, queueDepth: this.queue.length, queueLimit: this.options.queueLimit };
  }

  /**
   * Waits for a slot. Rejects at once with {@link OverCapacityError} when the queue is full,
   * and with the signal's reason when `signal` aborts while waiting.
   */
  acquire(signal?: AbortSignal): Promise<Lease> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    if (!this.paused && this.busyCount < this.options.workers && this.queue.length === 0) return Promise.resolve(this.grant(this.now()));
    if (this.queue.length >= this.options.queueLimit) {
      return Promise.reject(new OverCapacityError(this.retryAfterSeconds(), `all ${this.options.workers} workers are busy and the queue is full (${this.queue.length}/${this.options.queueLimit}); retry later`));
    }
    return new Promise<Lease>((resolve, reject) => {
      const onAbort = () => {
        const i = this.queue.indexOf(waiter);
        if (i !== -1) this.queue.splice(i, 1);
        this.changed();
        reject(signal?.reason);
      };
      const waiter: Waiter = {
        enqueuedAt: this.now(),
        grant: resolve,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.changed();
    });
  }

  /** Stops handing out slots; in-flight leases go on, new requests queue. */
  pause(): void {
    this.paused = true;
  }

  /** Hands out slots again, to the queue first. */
  resume(): void {
    this.paused = false;
    this.dispatch();
  }

  /** Resolves once no slot is held. */
  whenIdle(): Promise<void> {
    if (this.busyCount === 0) return Promise.resolve();
    return new Promise((resolve) => this.idleWaiters.push(resolve));
  }

  /** Seconds a refused client should wait: the queue ahead of it, at the recent pace. */
  retryAfterSeconds(): number {
    const perSlotMs = this.averageHoldMs || 1000;
    const estimate = Math.ceil((perSlotMs * (this.queue.length + 1)) / this.options.workers / 1000);
    return Math.min(MAX_RETRY_AFTER_S, Math.max(1, estimate));
  }

  private grant(enqueuedAt: number): Lease {
    this.busyCount++;
    const grantedAt = this.now();
    let released = false;
    this.changed();
    return {
      queuedMs: grantedAt - enqueuedAt,
      release: () => {
        if (released) return;
        released = true;
        this.busyCount--;
        const held = this.now() - grantedAt;
        this.averageHoldMs = this.averageHoldMs === 0 ? held : this.averageHoldMs * 0.8 + held * 0.2;
        this.dispatch();
        this.changed();
        if (this.busyCount === 0) {
          const waiters = this.idleWaiters;
          this.idleWaiters = [];
          for (const w of waiters) w();
        }
      },
    };
  }

  private dispatch(): void {
    while (!this.paused && this.busyCount < this.options.workers && this.queue.length > 0) {
      const waiter = this.queue.shift() as Waiter;
      waiter.cleanup();
      waiter.grant(this.grant(waiter.enqueuedAt));
    }
  }

  private changed(): void {
    this.options.onChange?.(this.snapshot);
  }
}
