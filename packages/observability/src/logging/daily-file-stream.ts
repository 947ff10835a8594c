import { EventEmitter } from 'node:events';
import { readdir, unlink } from 'node:fs/promises';
import { join } from 'node:path';
import { createLineFile, type LineFile, type LineFileFs } from './line-file.js';

const DAY_MS = 86_400_000;
// After a failed open or write, lines are dropped until this much (clock) time has
// passed, so a full disk costs one open attempt and one onError per second, not per line.
const REOPEN_BACKOFF_MS = 1_000;

/** Retention used when `retentionDays` is not given (the contract's `LOG_RETENTION_DAYS` default). */
export const DEFAULT_LOG_RETENTION_DAYS = 14;

/** Options of {@link createDailyFileStream}. */
export interface DailyFileStreamOptions {
  /** Directory of the log files; created (recursively) when missing. */
  dir: string;
  /** Service name: files are `<dir>/<service>-YYYY-MM-DD.log`. */
  service: string;
  /** Days of files kept, counting today (integer >= 1, default 14). See {@link DailyFileStream.sweepNow}. */
  retentionDays?: number;
  /** Clock in ms since the epoch (default `Date.now`); tests inject one to cross midnight. */
  now?: () => number;
  /** Write synchronously (default false). Tests use it to read files right after writing. */
  sync?: boolean;
  /** Told about open/write/close/sweep failures, which never throw into the logging caller. */
  onError?: (err: Error) => void;
  /**
   * Told how many whole lines never reached the file and why: `write_failed` (the disk was full
   * or the file could not be opened or written) or `backpressure` (more than `maxBufferChars`
   * waited for a slow disk). The observability package counts them in
   * `telemetry_log_lines_dropped_total`.
   */
  onDropped?: (lines: number, reason: 'write_failed' | 'backpressure') => void;
  /** Characters that may wait for the disk before new lines are dropped (default 16 Mi). */
  maxBufferChars?: number;
  /** File system calls (tests inject failures such as a partial write). */
  fs?: LineFileFs;
}

/**
 * A pino destination writing one file per service per UTC day. Failures go to `onError`
 * (and to 'error' listeners, if any) instead of throwing: a broken telemetry sink must
 * never fail a request, so lines are dropped until the file can be opened again. Every
 * dropped line is counted (`onDropped`), and a write that fails half-way never leaves a torn
 * line in the file (see line-file.ts).
 */
export interface DailyFileStream extends EventEmitter {
  /** Appends one line (pino passes a full JSON line ending in "\n") to today's file. */
  write(chunk: string): boolean;
  /** Writes buffered lines out; `cb` gets the error, if any. */
  flush(cb?: (err?: Error) => void): void;
  /** Writes buffered lines out synchronously (pino calls it on fatal and at exit). */
  flushSync(): void;
  /** Flushes and closes the file; `cb` runs once it is closed (or failed). Later writes are dropped. */
  end(cb?: () => void): void;
  /**
   * Deletes `<service>-YYYY-MM-DD.log` files (real dates only; other names are never touched)
   * dated `retentionDays` or more UTC days before today: with 14, today and the 13 days
   * before it are kept. Runs on open and at each rotation; call it to await those sweeps,
   * which are serialized. Resolves with the names this call deleted; never rejects.
   */
  sweepNow(): Promise<string[]>;
  /** The file lines currently go to. */
  readonly currentPath: string;
}

/**
 * Creates a {@link DailyFileStream}: one line file per day (line-file.ts), rotated at UTC
 * midnight, with the retention sweep run asynchronously so it never blocks writes.
 * @throws Error if `retentionDays` is not an integer >= 1, or `service` is not a plain name.
 */
export function createDailyFileStream(options: DailyFileStreamOptions): DailyFileStream {
  return new DailyFile(options);
}

class DailyFile extends EventEmitter implements DailyFileStream {
  private readonly now: () => number;
  private readonly retentionDays: number;
  private readonly pattern: RegExp;
  private boom: LineFile | undefined;
  private path = '';
  private nextMidnight = 0;
  // The one number the hot path compares against: midnight, or the reopen retry time if sooner.
  private nextCheckAt = 0;
  private ended = false;
  private sweeps: Promise<unknown> = Promise.resolve();

  constructor(private readonly options: DailyFileStreamOptions) {
    super();
    const days = options.retentionDays ?? DEFAULT_LOG_RETENTION_DAYS;
    if (!Number.isInteger(days) || days < 1) {
      throw new Error(`LOG_RETENTION_DAYS must be an integer >= 1, got ${String(options.retentionDays)}`);
    }
    if (!options.service || /[/\\]|^\.\.?$/.test(options.service)) {
      throw new Error(`log file service name must be a plain file name, got "${options.service}"`);
    }
    this.retentionDays = days;
    this.now = options.now ?? Date.now;
    const escaped = options.service.replace(/[.*+?^${}()|[\]\\]/g, '\\$&');
    this.pattern = new RegExp(`^${escaped}-(\\d{4}-\\d{2}-\\d{2})\\.log$`);
    this.open(this.now());
    void this.sweepNow();
  }

  get currentPath(): string {
    return this.path;
  }

  write(chunk: string): boolean {
    const t = this.now();
    if (t >= this.nextCheckAt) this.slowPath(t);
    const boom = this.boom;
    if (boom === undefined) {
      this.dropped(1, 'write_failed');
      return true;
    }
    try {
      return boom.write(chunk);
    } catch (err) {
      this.fail(boom, err);
      return true;
    }
  }

  flush(cb?: (err?: Error) => void): void {
    if (this.boom === undefined) {
      if (cb) process.nextTick(cb);
      return;
    }
    try {
      this.boom.flush(cb);
    } catch (err) {
      this.report(err);
      if (cb) process.nextTick(cb, err);
    }
  }

  flushSync(): void {
    try {
      this.boom?.flushSync();
    } catch (err) {
      this.report(err);
    }
  }

  end(cb?: () => void): void {
    const boom = this.boom;
    const wasEnded = this.ended;
    this.boom = undefined;
    this.ended = true;
    this.nextCheckAt = Infinity;
    let called = false;
    const done = (): void => {
      if (called) return;
      called = true;
      if (!wasEnded) this.emit('close');
      cb?.();
    };
    if (boom === undefined) return void process.nextTick(done);
    // An open that never succeeds emits 'error' but never 'close'; either one ends the wait.
    boom.once('close', done).once('error', done);
    try {
      boom.end();
    } catch {
      process.nextTick(done);
    }
  }

  sweepNow(): Promise<string[]> {
    // Serialized so that awaiting one call also awaits the open/rotation sweeps before it;
    // the catch keeps a bug in the sweep from becoming an unhandled rejection.
    const run = this.sweeps.then(() => this.sweep()).catch((err: unknown) => {
      this.report(err);
      return [];
    });
    this.sweeps = run;
    return run;
  }

  private async sweep(): Promise<string[]> {
    const cutoff = Math.floor(this.now() / DAY_MS) * DAY_MS - this.retentionDays * DAY_MS;
    let names: string[];
    try {
      names = await readdir(this.options.dir);
    } catch (err) {
      // Missing dir: the async mkdir has not run yet, so there is nothing to sweep.
      if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(err);
      return [];
    }
    const deleted: string[] = [];
    await Promise.all(names.map(async (name) => {
      const date = this.pattern.exec(name)?.[1];
      if (date === undefined) return;
      const day = Date.parse(`${date}T00:00:00.000Z`);
      // Date.parse rolls 2026-02-30 over to March; such a name is not ours to delete.
      if (Number.isNaN(day) || new Date(day).toISOString().slice(0, 10) !== date || day > cutoff) return;
      try {
        await unlink(join(this.options.dir, name));
        deleted.push(name);
      } catch (err) {
        // Another replica sharing the directory may have swept it first.
        if ((err as NodeJS.ErrnoException).code !== 'ENOENT') this.report(err);
      }
    }));
    return deleted.sort();
  }

  private slowPath(t: number): void {
    const rotating = t >= this.nextMidnight;
    const old = this.boom;
    this.boom = undefined;
    try {
      old?.end();
    } catch (err) {
      this.report(err);
    }
    this.open(t);
    if (rotating) void this.sweepNow();
  }

  private open(t: number): void {
    const day = Math.floor(t / DAY_MS) * DAY_MS;
    this.nextMidnight = this.nextCheckAt = day + DAY_MS;
    const date = new Date(day).toISOString().slice(0, 10);
    this.path = join(this.options.dir, `${this.options.service}-${date}.log`);
    try {
      const boom = createLineFile({
        path: this.path,
        sync: this.options.sync ?? false,
        maxBufferChars: this.options.maxBufferChars,
        fs: this.options.fs,
        onDropped: (lines, reason) => this.dropped(lines, reason),
      });
      boom.on('error', (err: Error) => this.fail(boom, err));
      this.boom = boom;
    } catch (err) {
      // A sync open throws instead of emitting.
      this.fail(undefined, err);
    }
  }

  private dropped(lines: number, reason: 'write_failed' | 'backpressure'): void {
    if (lines <= 0) return;
    try {
      this.options.onDropped?.(lines, reason);
    } catch {
      // A counting bug must not turn a sink failure into a request failure.
    }
  }

  // Drops the failed file (and what it buffered) so the next write, after the backoff,
  // reopens it: that recovers from a full disk or a recreated directory on its own.
  private fail(boom: LineFile | undefined, err: unknown): void {
    this.report(err);
    if (boom !== this.boom || this.ended) return;
    this.boom = undefined;
    boom?.destroy();
    this.nextCheckAt = Math.min(this.now() + REOPEN_BACKOFF_MS, this.nextMidnight);
  }

  private report(err: unknown): void {
    const error = err instanceof Error ? err : new Error(String(err));
    try {
      this.options.onError?.(error);
      if (this.listenerCount('error') > 0) this.emit('error', error);
    } catch {
      // A throwing error handler must not turn a sink failure into a request failure.
    }
  }
}
