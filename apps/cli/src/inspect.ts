/**
 * `samosachaat traces` and `samosachaat logs`: follow requests across services from a terminal.
 *
 * - traces: the recent traces of every service's ring buffer (`/debug/traces`), merged by
 *   trace id, without the platform's look at itself (scrapes, probes, trace and console API
 *   calls: the console's filter) unless `--all`; or one trace as a waterfall of its spans
 *   from all services. The services are found where `start` puts them (`*_PORT`, `*_URL`).
 * - logs: the JSON log files in LOG_DIR (`<service>-YYYY-MM-DD.log`; `npm start` writes them to
 *   DATA_DIR/logs), filtered by trace id, service, level and time, in timestamp order; the
 *   last 100 matching lines unless `--tail N` says otherwise.
 */
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { isHousekeepingTrace, LOG_LEVELS, type LogLevel, type SpanRecord, type TraceRecord } from '@samosachaat/observability';
import { dataDirOf } from '@samosachaat/platform/platform-database';
import { EXIT_USAGE } from './errors.js';
import type { CliIo } from './main.js';
import { LogDirMissingError, parseSince, readLogTail, type LogTail } from '@samosachaat/platform/log-files';
import { serviceTargets } from '@samosachaat/platform/service-ports';

function usageError(io: CliIo, command: string, message: string): number {
  io.stderr.write(`samosachaat ${command}: ${message}\nrun \`samosachaat --help\` for the options\n`);
  return EXIT_USAGE;
}

function headers(io: CliIo): Record<string, string> {
  const key = io.env['INTERNAL_API_KEY']?.trim();
  return key ? { 'x-internal-api-key': key } : {};
}

/** `samosachaat traces [--limit N] [--errors] [--all] [--json] [TRACE_ID]` */
export async function tracesCommand(args: readonly string[], io: CliIo): Promise<number> {
  let parsed;
  try {
    parsed = parseArgs({
      args: [...args],
      options: { limit: { type: 'string', default: '20' }, errors: { type: 'boolean', default: false }, all: { type: 'boolean', default: false }, json: { type: 'boolean', default: false } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    return usageError(io, 'traces', (err as Error).message);
  }
  const { values, positionals } = parsed;
  const limit = Number(values.limit);
  if (!Number.isInteger(limit) || limit < 1 || limit > 1000) return usageError(io, 'traces', `--limit must be an integer from 1 to 1000, got "${values.limit}"`);
  if (positionals.length > 1) return usageError(io, 'traces', 'give at most one trace id');
  const traceId = positionals[0]?.toLowerCase();
  if (traceId !== undefined && !/^[0-9a-f]{32}$/.test(traceId)) return usageError(io, 'traces', `"${positionals[0]}" is not a trace id (32 hexadecimal characters)`);

  const targets = serviceTargets(io.env);
  const unreachable: string[] = [];
  const found: TraceRecord[] = [];
  // Ask for more than shown: housekeeping is filtered out after merging (as the console does).
  const ask = values.all ? limit : Math.min(1000, limit * 4 + 100);
  await Promise.all(
    targets.map(async (t) => {
      const url = traceId ? `${t.url}/debug/traces/${traceId}` : `${t.url}/debug/traces?limit=${ask}${values.errors ? '&errors=true' : ''}`;
      try {
        const res = await fetch(url, { headers: headers(io), signal: AbortSignal.timeout(3000) });
        if (res.status === 404 && traceId) return;
        if (!res.ok) {
          unreachable.push(`${t.name}: ${res.status} ${(await res.text()).slice(0, 160)}`);
          return;
        }
        const body = (await res.json()) as TraceRecord | { traces: TraceRecord[] };
        const list = 'traces' in body ? body.traces : [body];
        found.push(...list);
      } catch (err) {
        const cause = (err as { cause?: { code?: unknown } }).cause?.code;
        unreachable.push(`${t.name}: not reachable at ${t.url} (${typeof cause === 'string' ? cause : (err as Error).message})`);
      }
    }),
  );
  for (const u of unreachable) io.stderr.write(`samosachaat traces: ${u}\n`);
  if (unreachable.length === targets.length) {
    io.stderr.write('samosachaat traces: no service answered: start the platform (`npm start`), or run this with the *_PORT (or *_URL) variables it was started with\n');
  }

  // The same trace seen by several services becomes one.
  const merged = new Map<string, TraceRecord>();
  for (const t of found) {
    const into = merged.get(t.trace_id);
    if (!into) merged.set(t.trace_id, { ...t, spans: [...t.spans] });
    else {
      into.spans.push(...t.spans);
      into.error ||= t.error;
      if (t.start_time < into.start_time) into.start_time = t.start_time;
    }
  }
  for (const t of merged.values()) {
    t.spans.sort((a, b) => a.start_time.localeCompare(b.start_time));
    t.span_count = t.spans.length;
    const start = Date.parse(t.spans[0]?.start_time ?? t.start_time);
    const end = Math.max(...t.spans.map((s) => Date.parse(s.start_time) + s.duration_ms));
    t.duration_ms = Math.max(0, end - start);
    const root = t.spans.find((s) => !s.parent_span_id || !t.spans.some((p) => p.span_id === s.parent_span_id));
    if (root) t.root_name = root.name;
  }

  if (traceId) {
    const trace = merged.get(traceId);
    if (!trace) {
      io.stderr.write(`samosachaat traces: trace ${traceId} is in no service's buffer (it may have been evicted, or not sampled)\n`);
      return 1;
    }
    io.stdout.write(values.json ? `${JSON.stringify(trace, null, 2)}\n` : waterfall(trace));
    return 0;
  }
  const traces = [...merged.values()]
    .filter((t) => values.all || !isHousekeepingTrace(t))
    .sort((a, b) => b.start_time.localeCompare(a.start_time))
    .slice(0, limit);
  if (values.json) io.stdout.write(`${JSON.stringify({ traces }, null, 2)}\n`);
  else {
    io.stdout.write(`${'trace id'.padEnd(32)}  ${'start (UTC)'.padEnd(23)}  ${'ms'.padStart(8)}  spans  services${' '.repeat(18)}  root\n`);
    for (const t of traces) {
      const services = [...new Set(t.spans.map((s) => s.service))].join(',');
      io.stdout.write(`${t.trace_id}  ${t.start_time.slice(0, 23)}  ${t.duration_ms.toFixed(1).padStart(8)}  ${String(t.span_count).padStart(5)}  ${services.padEnd(26)}  ${t.error ? 'ERROR ' : ''}${t.root_name}\n`);
    }
    if (traces.length === 0) io.stdout.write(values.all ? '(no traces yet)\n' : '(no traces yet besides scrapes, probes, background jobs, static assets and console or trace reads: --all shows those)\n');
  }
  return unreachable.length === targets.length ? 1 : 0;
}

/** A trace as an indented waterfall: one line per span, a bar scaled to the trace's length. */
export function waterfall(trace: TraceRecord, width = 40): string {
  const start = Date.parse(trace.spans[0]?.start_time ?? trace.start_time);
  const total = Math.max(trace.duration_ms, 0.001);
  const depth = new Map<string, number>();
  const byId = new Map(trace.spans.map((s) => [s.span_id, s]));
  const depthOf = (s: SpanRecord, seen = 0): number => {
    if (depth.has(s.span_id)) return depth.get(s.span_id)!;
    const parent = s.parent_span_id ? byId.get(s.parent_span_id) : undefined;
    const d = parent && seen < 64 ? depthOf(parent, seen + 1) + 1 : 0;
    depth.set(s.span_id, d);
    return d;
  };
  const lines = [`trace ${trace.trace_id}  ${trace.duration_ms.toFixed(1)} ms  ${trace.span_count} spans${trace.error ? '  ERROR' : ''}`];
  for (const s of trace.spans) {
    const offset = Date.parse(s.start_time) - start;
    const from = Math.min(width - 1, Math.floor((offset / total) * width));
    const len = Math.max(1, Math.round((s.duration_ms / total) * width));
    const bar = `${' '.repeat(from)}${'█'.repeat(Math.min(len, width - from))}`.padEnd(width);
    const failed = s.status === 'error';
    const attrs = s.attributes;
    const extra = ['http.response.status_code', 'gen_ai.request.model', 'gen_ai.usage.output_tokens'].filter((k) => k in attrs).map((k) => `${k.split('.').at(-1)}=${String(attrs[k])}`);
    const firstToken = s.events.find((e) => e.name.includes('first_token'));
    if (firstToken) extra.push(`ttft_ms=${(Date.parse(firstToken.time) - Date.parse(s.start_time)).toFixed(0)}`);
    lines.push(`${s.service.padEnd(10)} |${bar}| ${s.duration_ms.toFixed(1).padStart(8)} ms  ${'  '.repeat(depthOf(s))}${s.name}${failed ? '  ERROR' : ''}${extra.length ? `  ${extra.join(' ')}` : ''}`);
  }
  return `${lines.join('\n')}\n`;
}

/** Lines `logs` shows when `--tail` is not given. */
export const DEFAULT_LOG_TAIL = 100;

/** `samosachaat logs [--trace ID] [--service S] [--level L] [--since T] [--tail N] [--json] [--dir D]` */
export async function logsCommand(args: readonly string[], io: CliIo): Promise<number> {
  let values;
  try {
    values = parseArgs({
      args: [...args],
      options: {
        trace: { type: 'string' },
        service: { type: 'string' },
        level: { type: 'string' },
        since: { type: 'string' },
        tail: { type: 'string', default: String(DEFAULT_LOG_TAIL) },
        json: { type: 'boolean', default: false },
        dir: { type: 'string' },
      },
      strict: true,
      allowPositionals: false,
    }).values;
  } catch (err) {
    return usageError(io, 'logs', (err as Error).message);
  }
  const trace = values.trace?.toLowerCase();
  if (trace !== undefined && !/^[0-9a-f]{32}$/.test(trace)) return usageError(io, 'logs', `--trace "${values.trace}" is not a trace id (32 hexadecimal characters)`);
  const minLevel = values.level?.toLowerCase();
  if (minLevel !== undefined && !LOG_LEVELS.includes(minLevel as LogLevel)) return usageError(io, 'logs', `--level must be one of ${LOG_LEVELS.join(', ')}`);
  const since = values.since === undefined ? undefined : parseSince(values.since);
  if (values.since !== undefined && since === undefined) {
    return usageError(io, 'logs', `--since "${values.since}" is neither a duration (30s, 5m, 2h, 1d, 1h30m) nor an ISO 8601 date (2026-01-31T12:00:00Z)`);
  }
  const tail = Number(values.tail);
  if (!Number.isInteger(tail) || tail < 1 || tail > 100_000) return usageError(io, 'logs', `--tail must be a whole number of lines from 1 to 100000, got "${values.tail}"`);

  const dir = values.dir ? resolve(io.cwd, values.dir) : io.env['LOG_DIR']?.trim() ? resolve(io.cwd, io.env['LOG_DIR']) : join(dataDirOf(io), 'logs');
  let found: LogTail;
  try {
    found = await readLogTail(dir, { trace, service: values.service, minLevel: minLevel as LogLevel | undefined, since, limit: tail });
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    if (!(err instanceof LogDirMissingError) && typeof code !== 'string') throw err;
    // A file this user may not read (EACCES) is as much a dead end as a missing folder.
    io.stderr.write(`samosachaat logs: ${err instanceof LogDirMissingError ? err.message : `cannot read the log files in ${dir} (${code}: ${(err as Error).message}): run as the user the services write them as, or set LOG_DIR`}\n`);
    return 1;
  }
  for (const line of found.lines) {
    if (values.json) io.stdout.write(`${JSON.stringify(line)}\n`);
    else {
      const { timestamp, level, service, message, trace_id: _t, span_id: _s, logger, ...rest } = line;
      const fields = Object.entries(rest).map(([k, v]) => `${k}=${typeof v === 'string' ? v : JSON.stringify(v)}`).join(' ');
      io.stdout.write(`${timestamp} ${level.toUpperCase().padEnd(8)} ${String(service).padEnd(10)} ${String(logger ?? '').padEnd(12)} ${message}${fields ? `  ${fields}` : ''}\n`);
    }
  }
  if (found.matched === 0) io.stderr.write(`samosachaat logs: no matching lines in ${dir}\n`);
  // On stderr, so piped output stays pure lines.
  else if (found.matched > found.lines.length) io.stderr.write(`samosachaat logs: the last ${found.lines.length} of ${found.matched} matching lines; --tail N shows more, --since narrows the window\n`);
  return 0;
}
