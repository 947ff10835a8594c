import { EventEmitter } from 'node:events';
import * as nodeFs from 'node:fs';
import { dirname } from 'node:path';

/**
 * The file system calls a {@link LineFile} makes. Tests inject a write that fails half-way
 * (a disk that fills up in the middle of a chunk); everything else is node:fs.
 */
export type LineFileFs = Pick<typeof nodeFs, 'mkdir' | 'mkdirSync' | 'open' | 'openSync' | 'fstat' | 'fstatSync' | 'write' | 'writeSync' | 'ftruncateSync' | 'close' | 'closeSync'>;

/** Options of {@link createLineFile}. */
export interface LineFileOptions {
  /** The file; opened for appending, its folder created when missing. */
  path: string;
  /** Open and write synchronously (each line written before `write` returns). */
  sync: boolean;
  /** Characters that may wait for the disk before new lines are dropped. Default 16 Mi. */
  maxBufferChars?: number;
  fs?: LineFileFs;
  /** Whole lines that never reached the file, and why. */
  onDropped: (lines: number, reason: 'write_failed' | 'backpressure') => void;
}

/**
 * An append-only file of whole lines. Like pino's sonic-boom it batches what arrives while a
 * write is in flight into the next write, but it also keeps what sonic-boom does not: how
 * many lines each write carries, and where the file ended before it. So when a write fails
 * (a full disk), the whole lines that reached the file stay, the torn one after them is cut
 * off again, and every line that did not make it is counted: the file never holds a torn
 * line. (The cut is skipped when another process appended to the same file in the meantime —
 * replicas sharing one LOG_DIR — since it would remove that process's lines.)
 *
 * A failure is emitted as 'error' (synchronous mode: thrown from `write`, after counting);
 * the owner then destroys the file and opens a new one later.
 */
export interface LineFile extends EventEmitter {
  /** Appends one line (ending in "\n"). False when it was dropped for backpressure. */
  write(line: string): boolean;
  /** Calls `cb` once everything written so far is in the file (or failed). */
  flush(cb?: (err?: Error) => void): void;
  /** Writes out what is waiting, synchronously, unless an asynchronous write is in flight. */
  flushSync(): void;
  /** Flushes, closes the file and emits 'close'. */
  end(): void;
  /** Closes at once; lines still waiting are counted as dropped. */
  destroy(): void;
}

const DEFAULT_MAX_BUFFER_CHARS = 16 * 1024 * 1024;

/** Opens a {@link LineFile}. In synchronous mode a failed open throws. */
export function createLineFile(options: LineFileOptions): LineFile {
  return new AppendOnlyLines(options);
}

interface Chunk {
  bytes: Buffer;
  lines: number;
  written: number;
}

class AppendOnlyLines extends EventEmitter implements LineFile {
  private readonly fs: LineFileFs;
  private readonly maxChars: number;
  private fd: number | undefined;
  /** Where the file ended after our last complete write, as far as we know. */
  private end_ = 0;
  private regular = true;
  private pending = '';
  private pendingLines = 0;
  private inFlight: Chunk | undefined;
  private scheduled = false;
  private waiters: ((err?: Error) => void)[] = [];
  private ending = false;
  private closed = false;

  constructor(private readonly options: LineFileOptions) {
    super();
    this.fs = options.fs ?? nodeFs;
    this.maxChars = options.maxBufferChars ?? DEFAULT_MAX_BUFFER_CHARS;
    if (options.sync) {
      this.fs.mkdirSync(dirname(options.path), { recursive: true });
      this.opened(this.fs.openSync(options.path, 'a'));
    } else {
      this.fs.mkdir(dirname(options.path), { recursive: true }, (mkdirErr) => {
        if (mkdirErr) return this.failed(mkdirErr);
        this.fs.open(options.path, 'a', (openErr, fd) => {
          if (openErr) return this.failed(openErr);
          if (this.closed) return this.fs.close(fd, () => {});
          this.opened(fd);
          this.next();
        });
      });
    }
  }

  write(line: string): boolean {
    if (this.closed) return true;
    if (this.options.sync) {
      this.writeSyncChunk({ bytes: Buffer.from(line), lines: 1, written: 0 }, true);
      return true;
    }
    if (this.pending.length + line.length > this.maxChars) {
      this.options.onDropped(1, 'backpressure');
      return false;
    }
    this.pending += line;
    this.pendingLines++;
    if (!this.scheduled && this.inFlight === undefined && this.fd !== undefined) {
      // Lines logged in the same turn of the event loop go out in one write.
      this.scheduled = true;
      setImmediate(() => {
        this.scheduled = false;
        this.next();
      });
    }
    return true;
  }

  flush(cb?: (err?: Error) => void): void {
    if (cb === undefined) return;
    if (this.idle()) process.nextTick(cb);
    else this.waiters.push(cb);
  }

  flushSync(): void {
    if (this.fd === undefined || this.inFlight !== undefined || this.pendingLines === 0 || this.closed) return;
    this.writeSyncChunk(this.take(), false);
  }

  end(): void {
    if (this.ending) return;
    this.ending = true;
    this.flush(() => this.close());
  }

  destroy(): void {
    const lines = this.pendingLines + (this.inFlight?.lines ?? 0);
    this.pending = '';
    this.pendingLines = 0;
    this.inFlight = undefined;
    if (lines > 0) this.options.onDropped(lines, 'write_failed');
    this.closeNow();
  }

  private opened(fd: number): void {
    this.fd = fd;
    const stat = this.fs.fstatSync(fd);
    this.end_ = stat.size;
    this.regular = stat.isFile();
  }

  private idle(): boolean {
    return this.pendingLines === 0 && this.inFlight === undefined && (this.fd !== undefined || this.closed);
  }

  private take(): Chunk {
    const chunk = { bytes: Buffer.from(this.pending), lines: this.pendingLines, written: 0 };
    this.pending = '';
    this.pendingLines = 0;
    return chunk;
  }

  private next(): void {
    if (this.closed || this.fd === undefined || this.inFlight !== undefined) return;
    if (this.pendingLines === 0) return this.settle();
    this.inFlight = this.take();
    this.writeRest(this.fd, this.inFlight);
  }

  private writeRest(fd: number, chunk: Chunk): void {
    this.fs.write(fd, chunk.bytes, chunk.written, chunk.bytes.length - chunk.written, null, (err, n) => {
      if (this.inFlight !== chunk) return; // destroyed meanwhile
      if (err) return this.failed(err);
      chunk.written += n;
      if (chunk.written < chunk.bytes.length) return this.writeRest(fd, chunk);
      this.end_ += chunk.bytes.length;
      this.inFlight = undefined;
      this.next();
    });
  }

  private writeSyncChunk(chunk: Chunk, throwOnError: boolean): void {
    const fd = this.fd as number;
    try {
      while (chunk.written < chunk.bytes.length) chunk.written += this.fs.writeSync(fd, chunk.bytes, chunk.written, chunk.bytes.length - chunk.written);
      this.end_ += chunk.bytes.length;
    } catch (err) {
      this.inFlight = chunk;
      if (throwOnError) {
        this.cutTornLines();
        throw err;
      }
      this.failed(err as Error);
    }
  }

  /** Counts what did not reach the file, cuts a torn chunk off, and reports the failure. */
  private failed(err: Error): void {
    this.cutTornLines();
    const lines = this.pendingLines;
    this.pending = '';
    this.pendingLines = 0;
    if (lines > 0) this.options.onDropped(lines, 'write_failed');
    const waiters = this.waiters;
    this.waiters = [];
    for (const cb of waiters) cb(err);
    this.emit('error', err);
  }

  /**
   * Keeps the whole lines of a failed chunk that reached the file, cuts off the torn one
   * after them, and counts the rest as dropped.
   */
  private cutTornLines(): void {
    const chunk = this.inFlight;
    this.inFlight = undefined;
    if (chunk === undefined) return;
    const keep = chunk.written === 0 ? 0 : chunk.bytes.lastIndexOf(0x0a, chunk.written - 1) + 1;
    let kept = 0;
    for (let at = chunk.bytes.indexOf(0x0a); at !== -1 && at < keep; at = chunk.bytes.indexOf(0x0a, at + 1)) kept++;
    if (chunk.lines - kept > 0) this.options.onDropped(chunk.lines - kept, 'write_failed');
    if (keep < chunk.written && this.fd !== undefined && this.regular) {
      try {
        if (this.fs.fstatSync(this.fd).size === this.end_ + chunk.written) this.fs.ftruncateSync(this.fd, this.end_ + keep);
      } catch {
        // The file is failing already; the error being reported says so.
      }
    }
    this.end_ += keep;
  }

  private settle(): void {
    if (!this.idle()) return;
    const waiters = this.waiters;
    this.waiters = [];
    for (const cb of waiters) cb();
  }

  private close(): void {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd === undefined) return void process.nextTick(() => this.emit('close'));
    this.fs.close(fd, () => this.emit('close'));
  }

  private closeNow(): void {
    if (this.closed) return;
    this.closed = true;
    const fd = this.fd;
    this.fd = undefined;
    if (fd !== undefined) {
      try {
        this.fs.closeSync(fd);
      } catch {
        // Already failing; nothing more to report.
      }
    }
  }
}
