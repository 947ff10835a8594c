import { context, trace, type Context } from '@opentelemetry/api';
import pino, { type DestinationStream } from 'pino';
import { prettyFactory } from 'pino-pretty';
import { ensureContextManager, getContextFields } from '../context/request-context.js';
import { createDailyFileStream, type DailyFileStream } from './daily-file-stream.js';
import { LEVEL_VALUES, type LogLevel } from './levels.js';
import { redactFields, redactSecretShapes } from './redact.js';

/** A log method: `log.info({ conversation_id }, 'conversation_created')` or `log.info('ready')`. */
export interface LogFn {
  (fields: object, message: string): void;
  (message: string): void;
}

/**
 * The contract logger. Every line carries `timestamp`, `level`, `service`, `message` and
 * `logger`, plus `trace_id`/`span_id` of the active span and whatever is bound to the
 * current request context.
 */
export interface Logger {
  debug: LogFn;
  info: LogFn;
  warning: LogFn;
  error: LogFn;
  critical: LogFn;
  /**
   * A logger with extra bound fields. Do not bind `logger` here: module loggers come from
   * {@link LoggerHandle.getLogger}, so a line never carries the key twice.
   */
  child(bindings: Record<string, unknown>): Logger;
  isLevelEnabled(level: LogLevel): boolean;
  level: string;
  /** Writes out anything buffered (call before exit). */
  flush(cb?: (err?: Error) => void): void;
}

/** Options of {@link createLogger}. */
export interface LoggerOptions {
  /** `auth`, `chat-api`, `inference`, `web`, or a CLI's name. */
  service: string;
  /** Name of the root logger's module (`logger` field). Default `main`. */
  name?: string;
  level?: LogLevel;
  format?: 'json' | 'pretty';
  environment?: string;
  version?: string;
  /** Also write to `<logDir>/<service>-YYYY-MM-DD.log` (UTC days). */
  logDir?: string;
  retentionDays?: number;
  /** Where JSON lines go instead of stdout (tests pass an in-memory stream). */
  destination?: DestinationStream;
  /** Clock for file rotation (tests). */
  now?: () => number;
  /** Told when the file sink fails; the log call itself never throws. */
  onSinkError?: (err: Error) => void;
  /** Told how many lines the file sink dropped, and why (see `DailyFileStreamOptions.onDropped`). */
  onSinkDropped?: (lines: number, reason: 'write_failed' | 'backpressure') => void;
}

/** The logger plus the resources it owns. */
export interface LoggerHandle {
  /** The root module's logger (`logger` = options.name, default `main`). */
  logger: Logger;
  /** The logger of one module: its lines carry `logger: name`. */
  getLogger(name: string): Logger;
  /**
   * A writer of pre-encoded lines for one module, for the request path (the access log): it
   * writes the same line pino would, with the contract fields, the trace ids and bound fields
   * of `ctx`, but without pino's generic walk over the fields. The caller checks the level
   * ({@link Logger.isLevelEnabled}) and hands over `body`: `,"key":value` fragments it has
   * JSON-encoded and redacted itself, whose keys it lists in `reserved` so bound fields
   * never repeat them.
   */
  lineWriter(name: string, reserved: readonly string[]): LineWriter;
  /** Flushes and closes file sinks. */
  close(): Promise<void>;
}

/** See {@link LoggerHandle.lineWriter}. */
export type LineWriter = (level: LogLevel, ctx: Context, body: string, message: string) => void;

// Lines are joined into chunks of this many characters (or whatever 250 ms gathered) before
// they are written: one string append per line, and one write(2) per chunk made directly by
// the event loop thread. That is pino's own default (synchronous stdout) with the syscalls
// batched; the asynchronous alternative hands each chunk to libuv's thread pool, whose
// hand-offs cost more CPU per request than the write itself (bench/ANALYSIS.md). As with
// pino's default, a reader that stops draining stdout stalls the process rather than letting
// its memory grow without bound.
//
// Each line is encoded into a reusable byte buffer as it arrives rather than appended to a
// pending string: the line dies young instead of waiting in a rope of strings for the garbage
// collector to copy, and the chunk is not flattened and measured again before its write.
const STDOUT_CHUNK_BYTES = 16 * 1024;
// Room for a full chunk plus one more line of up to 16 Ki UTF-16 units (3 bytes each at most).
const STDOUT_BUFFER_BYTES = STDOUT_CHUNK_BYTES + 3 * 16 * 1024;

// Every stdout destination's "write out what is pending" hook, run at exit (writes are
// synchronous, so the lines are out before the process is). One pair of process listeners for
// all of them: tests create many loggers.
const exitFlushers = new Set<() => void>();
let exitHooked = false;
function flushAllAtExit(): void {
  for (const flush of exitFlushers) {
    try {
      flush();
    } catch {
      // Exiting: nothing left to report to.
    }
  }
}

function stdoutDestination(): { dest: DestinationStream; stop: () => void } {
  if (!exitHooked) {
    process.on('beforeExit', flushAllAtExit);
    process.on('exit', flushAllAtExit);
    exitHooked = true;
  }
  const boom = pino.destination({ dest: 1, sync: true, contentMode: 'buffer' });
  const buffer = Buffer.allocUnsafeSlow(STDOUT_BUFFER_BYTES);
  let used = 0;
  const push = (): void => {
    if (used === 0) return;
    // sonic-boom keeps what it could not write yet (a full pipe): it gets a chunk of its own.
    const chunk = Buffer.allocUnsafeSlow(used);
    buffer.copy(chunk, 0, 0, used);
    used = 0;
    boom.write(chunk as unknown as string);
  };
  exitFlushers.add(push);
  const dest = {
    write: (line: string) => {
      // A string of n UTF-16 units takes at most 3n bytes of UTF-8.
      if (used + 3 * line.length > STDOUT_BUFFER_BYTES) {
        push();
        if (3 * line.length > STDOUT_BUFFER_BYTES) {
          boom.write(Buffer.from(line, 'utf8') as unknown as string);
          return;
        }
      }
      used += buffer.write(line, used);
      if (used >= STDOUT_CHUNK_BYTES) push();
    },
    flush: (cb?: (err?: Error) => void) => {
      push();
      boom.flush(cb);
    },
    flushSync: () => {
      push();
      boom.flushSync();
    },
  };
  const timer = setInterval(() => {
    try {
      push();
    } catch {
      // A failed write of stdout must not take the process down; the next tick retries.
    }
  }, 250).unref();
  return {
    dest,
    stop: () => {
      clearInterval(timer);
      exitFlushers.delete(push);
      push();
    },
  };
}

// Renders each JSON line for a human, in-process and in order; only for a developer's terminal.
function prettyDestination(out: DestinationStream, colorize: boolean): DestinationStream {
  const prettify = prettyFactory({ colorize, messageKey: 'message', timestampKey: 'timestamp', customLevels: LEVEL_VALUES, useOnlyCustomProps: true });
  return { write: (line: string) => out.write(prettify(line)) };
}

const INVALID_TRACE_ID = '00000000000000000000000000000000';
// Most ids do not start with "0": one character read settles them (comparing two strings of
// equal length goes through the runtime).
function isValidTraceId(id: string): boolean {
  return id.charCodeAt(0) !== 48 || id !== INVALID_TRACE_ID;
}
// `{"level":"info"`, … : how a line opens, per level.
const LEVEL_OPENINGS = Object.fromEntries(Object.keys(LEVEL_VALUES).map((level) => [level, `{"level":"${level}"`])) as Record<LogLevel, string>;
// Messages are event names written by the code; a writer fed varying text stops caching at this.
const MAX_CACHED_MESSAGES = 64;

function contractMixin(): Record<string, unknown> {
  const ctx = context.active();
  const out: Record<string, unknown> = {};
  const sc = trace.getSpan(ctx)?.spanContext();
  // Spans come from the SDK or from validated headers, so a cheap check suffices here.
  if (sc && isValidTraceId(sc.traceId)) {
    out.trace_id = sc.traceId;
    out.span_id = sc.spanId;
  }
  const fields = getContextFields(ctx);
  if (fields) for (const key in fields) out[key] = fields[key];
  return out;
}

// Formatting a date costs more than the rest of a line's bookkeeping: the part up to the
// second is formatted once a second, the milliseconds are appended.
let stampSecond = -1;
let stampPrefix = '';
function isoTimestamp(): string {
  return timestampField(Date.now());
}

// Lines written within the same millisecond share the whole fragment.
let stampMs = -1;
let stampField = '';

/** The `,"timestamp":"…Z"` fragment pino splices into a line, for `now` (ms since epoch). */
export function timestampField(now: number): string {
  if (now === stampMs) return stampField;
  const second = Math.floor(now / 1000);
  if (second !== stampSecond) {
    stampSecond = second;
    stampPrefix = `,"timestamp":"${new Date(second * 1000).toISOString().slice(0, 20)}`;
  }
  const ms = now - second * 1000;
  stampMs = now;
  stampField = `${stampPrefix}${ms < 10 ? '00' : ms < 100 ? '0' : ''}${ms}Z"`;
  return stampField;
}

// The message (and printf-style arguments) never pass through `formatters.log`; scrub them here.
function scrubMessageArgs(this: pino.Logger, args: unknown[], method: (...a: unknown[]) => void): void {
  for (let i = 0; i < args.length; i++) {
    const arg = args[i];
    if (typeof arg === 'string') args[i] = redactSecretShapes(arg);
  }
  method.apply(this, args);
}

// Turns `{ err }` into the contract's `error`/`error_type` (+ `stack`) and applies key redaction.
function formatFields(obj: Record<string, unknown>): Record<string, unknown> {
  const err = obj.err;
  if (err instanceof Error) {
    const { err: _drop, ...rest } = obj;
    rest.error ??= err.message;
    rest.error_type ??= err.name;
    if (err.stack) rest.stack ??= err.stack;
    const code = (err as { code?: unknown }).code;
    if (code !== undefined) rest.error_code ??= code;
    return redactFields(rest);
  }
  return redactFields(obj);
}

/**
 * Creates the contract logger: pino underneath (stdout written in batches), with the
 * contract's level words, ISO-8601 UTC timestamps, redaction by key and by value shape,
 * request context injected from OpenTelemetry's context, and optional daily files.
 */
export function createLogger(options: LoggerOptions): LoggerHandle {
  ensureContextManager();
  const base: Record<string, unknown> = { service: options.service };
  if (options.environment) base.environment = options.environment;
  if (options.version) base.version = options.version;

  let fileStream: DailyFileStream | undefined;
  const streams: pino.StreamEntry<string>[] = [];
  // The pretty format is for a developer's terminal; JSON stays the default everywhere else.
  // Batched writes (16 KiB or every 250 ms): one syscall for many lines instead of
  // one per line; what is pending is written out when the process exits.
  const stdout = options.destination ? undefined : stdoutDestination();
  const json: DestinationStream = options.destination ?? (stdout as { dest: DestinationStream }).dest;
  const primary: DestinationStream = options.format === 'pretty' ? prettyDestination(json, !options.destination && process.stdout.isTTY === true) : json;
  streams.push({ stream: primary, level: 'debug' });
  if (options.logDir) {
    fileStream = createDailyFileStream({
      dir: options.logDir,
      service: options.service,
      retentionDays: options.retentionDays,
      now: options.now,
      onError: options.onSinkError,
      onDropped: options.onSinkDropped,
    });
    streams.push({ stream: fileStream, level: 'debug' });
  }

  const root = pino<'warning' | 'critical' | 'debug' | 'info' | 'error', true>(
    {
      level: options.level ?? 'info',
      customLevels: LEVEL_VALUES,
      useOnlyCustomLevels: true,
      messageKey: 'message',
      base,
      timestamp: isoTimestamp,
      formatters: {
        level: (label) => ({ level: label }),
        log: formatFields,
      },
      mixin: contractMixin,
      hooks: { logMethod: scrubMessageArgs },
    },
    streams.length === 1 ? primary : pino.multistream(streams, { levels: LEVEL_VALUES }),
  );
  const modules = new Map<string, Logger>();
  const getLogger = (name: string): Logger => {
    let module = modules.get(name);
    if (!module) {
      module = root.child({ logger: name }) as unknown as Logger;
      modules.set(name, module);
    }
    return module;
  };

  // The fields pino would put before the bindings of a module logger, encoded once.
  let baseFragment = '';
  for (const [key, value] of Object.entries(base)) baseFragment += `,${JSON.stringify(key)}:${JSON.stringify(value)}`;
  const lineWriter = (name: string, reserved: readonly string[]): LineWriter => {
    const prefix = `${baseFragment},"logger":${JSON.stringify(name)}`;
    const skip = new Set(['level', 'timestamp', 'message', 'logger', 'trace_id', 'span_id', ...Object.keys(base), ...reserved]);
    // A hot path writes the same few messages over and over: each is scrubbed and encoded once.
    const messages = new Map<string, string>();
    const encodeMessage = (message: string): string => {
      let encoded = messages.get(message);
      if (encoded === undefined) {
        encoded = JSON.stringify(redactSecretShapes(message));
        if (messages.size < MAX_CACHED_MESSAGES) messages.set(message, encoded);
      }
      return encoded;
    };
    return (level, ctx, body, message) => {
      let line = `${LEVEL_OPENINGS[level]}${isoTimestamp()}${prefix}`;
      const sc = trace.getSpan(ctx)?.spanContext();
      if (sc && isValidTraceId(sc.traceId)) line += `,"trace_id":"${sc.traceId}","span_id":"${sc.spanId}"`;
      const bound = getContextFields(ctx);
      if (bound) {
        let fields: Record<string, unknown> | undefined;
        for (const key in bound) {
          if (skip.has(key)) continue;
          fields ??= redactFields(bound);
          const encoded = JSON.stringify(fields[key]);
          if (encoded !== undefined) line += `,${JSON.stringify(key)}:${encoded}`;
        }
      }
      line += `${body},"message":${encodeMessage(message)}}\n`;
      for (const entry of streams) entry.stream.write(line);
    };
  };

  return {
    logger: getLogger(options.name ?? 'main'),
    getLogger,
    lineWriter,
    close: () =>
      new Promise<void>((resolve) => {
        stdout?.stop();
        root.flush(() => {
          if (fileStream) fileStream.end(() => resolve());
          else resolve();
        });
      }),
  };
}
