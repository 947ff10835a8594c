/**
 * Reads the JSON log files services write to LOG_DIR (`<service>-YYYY-MM-DD.log`, one object per
 * line): `samosachaat logs` and the web console's `/ops/api/logs` both use it.
 */
import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { createInterface } from 'node:readline';
import { LOG_LEVELS, type LogLevel } from '@samosachaat/observability';

/** One log line as written (the logging contract's fields, plus whatever the event carries). */
export interface LogLine {
  timestamp: string;
  level: string;
  service: string;
  message: string;
  trace_id?: string;
  [key: string]: unknown;
}

/** Filters of {@link readLogFiles}. */
export interface LogQuery {
  /** Only lines of this trace (32 lowercase hex). */
  trace?: string;
  /** Only files of this service. */
  service?: string;
  /** Only lines at this level or above. */
  minLevel?: LogLevel;
  /** Only lines at or after this time (ms since the epoch). */
  since?: number;
  /** Keep the last `limit` matching lines (in time order). */
  limit: number;
}

/** The folder does not exist or cannot be listed. */
export class LogDirMissingError extends Error {
  override name = 'LogDirMissingError';
  constructor(readonly dir: string) {
    super(`no log folder at ${dir}: services write files only when LOG_DIR is set (\`npm start\` uses DATA_DIR/logs)`);
  }
}

const FILE_NAME = /^[a-z0-9-]+-\d{4}-\d{2}-\d{2}\.log$/;
const DATE_SUFFIX = /^\d{4}-\d{2}-\d{2}\.log$/;

/**
 * Matching lines of every service's files in `dir`, in timestamp order, the last `query.limit`
 * of them. Lines that are not JSON (a torn last line) are skipped. Memory stays bounded by the
 * limit: the kept lines are trimmed as the files are read.
 */
export async function readLogFiles(dir: string, query: LogQuery): Promise<LogLine[]> {
  return (await readLogTail(dir, query)).lines;
}

/** What {@link readLogTail} found: the kept lines and how many lines matched in all. */
export interface LogTail {
  lines: LogLine[];
  matched: number;
}

/** {@link readLogFiles}, also counting every matching line (so a caller can say what the tail left out). */
export async function readLogTail(dir: string, query: LogQuery): Promise<LogTail> {
  let files: string[];
  try {
    files = (await readdir(dir)).filter((f) => FILE_NAME.test(f));
  } catch {
    throw new LogDirMissingError(dir);
  }
  const service = query.service;
  // `chat` must not match chat-api's files: what follows the name is the date.
  if (service) files = files.filter((f) => f.startsWith(`${service}-`) && DATE_SUFFIX.test(f.slice(service.length + 1)));
  const rank = (level: string) => LOG_LEVELS.indexOf(level as LogLevel);
  const minRank = query.minLevel ? rank(query.minLevel) : -1;
  let lines: LogLine[] = [];
  let matched = 0;
  const trim = () => {
    lines.sort((a, b) => a.timestamp.localeCompare(b.timestamp));
    lines = lines.slice(-query.limit);
  };
  for (const file of files) {
    const rl = createInterface({ input: createReadStream(join(dir, file)), crlfDelay: Infinity });
    for await (const raw of rl) {
      // Cheap test before parsing: most lines of a busy file belong to other traces.
      if (query.trace && !raw.includes(query.trace)) continue;
      let line: LogLine;
      try {
        line = JSON.parse(raw) as LogLine;
      } catch {
        continue;
      }
      if (typeof line.timestamp !== 'string') continue;
      if (query.trace && line.trace_id !== query.trace) continue;
      if (minRank >= 0 && rank(line.level) < minRank) continue;
      if (query.since !== undefined && Date.parse(line.timestamp) < query.since) continue;
      matched++;
      lines.push(line);
      if (lines.length >= query.limit * 2 + 1000) trim();
    }
  }
  trim();
  return { lines, matched };
}

const DURATION = /^(?:(\d+)d)?(?:(\d+)h)?(?:(\d+)m)?(?:(\d+)s)?$/;

/**
 * The start of a `--since` window, in ms since the epoch: a duration back from `now` (`90s`,
 * `5m`, `2h`, `1d`, `1h30m`) or an ISO 8601 date (`2026-01-31`, `2026-01-31T12:00:00Z`).
 * Undefined when `text` is neither.
 */
export function parseSince(text: string, now: number = Date.now()): number | undefined {
  const value = text.trim();
  const parts = DURATION.exec(value);
  if (value !== '' && parts) {
    const [d = 0, h = 0, m = 0, sec = 0] = parts.slice(1).map((p) => Number(p ?? 0));
    return now - (((d * 24 + h) * 60 + m) * 60 + sec) * 1000;
  }
  // Date.parse alone takes "5" for a year; a date here starts with one, in full.
  if (!/^\d{4}-\d{2}-\d{2}/.test(value)) return undefined;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : at;
}
