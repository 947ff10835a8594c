// Types only: the tracer comes from the service's Observability, so this package needs no
// OpenTelemetry dependency of its own (and can never pick a second copy of the API).
import type { Attributes, Span, SpanKind, SpanStatusCode, Tracer } from '@opentelemetry/api';
import type { Logger, Metrics, Observability } from '@samosachaat/observability';
import { sqlState } from './errors.js';

/** `db_query_duration_seconds` buckets: 0.5 ms … 5 s. */
export const DB_QUERY_DURATION_BUCKETS = [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5];

const KIND_INTERNAL = 0 as SpanKind.INTERNAL;
const KIND_CLIENT = 2 as SpanKind.CLIENT;
const STATUS_ERROR = 2 as SpanStatusCode.ERROR;

const VERBS = new Set(['select', 'insert', 'update', 'delete']);
const OPERATION_PATTERN = /^[a-z][a-z0-9_.-]{0,63}$/;

// Span names by operation: one string per operation, not one concatenated per query (each
// kept by the trace buffer as long as its trace is).
const spanNames = new Map<string, string>();
const MAX_SPAN_NAMES = 1000;

function spanName(operation: string): string {
  let name = spanNames.get(operation);
  if (name === undefined) {
    name = `db.${operation}`;
    if (spanNames.size < MAX_SPAN_NAMES) spanNames.set(operation, name);
  }
  return name;
}

/** The first keyword of a statement, lower case, past comments and parentheses ('' when none). */
export function firstKeyword(sql: string): string {
  let i = 0;
  const n = sql.length;
  while (i < n) {
    const c = sql[i] as string;
    if (c === ' ' || c === '\t' || c === '\n' || c === '\r' || c === '(' || c === ';') i++;
    else if (c === '-' && sql[i + 1] === '-') {
      const end = sql.indexOf('\n', i);
      i = end === -1 ? n : end + 1;
    } else if (c === '/' && sql[i + 1] === '*') {
      const end = sql.indexOf('*/', i + 2);
      i = end === -1 ? n : end + 2;
    } else break;
  }
  const match = /^[A-Za-z]+/.exec(sql.slice(i, i + 16));
  return match ? match[0].toLowerCase() : '';
}

/** The default operation label: select, insert, update, delete or other. */
export function sqlVerb(sql: string): string {
  const word = firstKeyword(sql);
  return VERBS.has(word) ? word : 'other';
}

/** Throws on an operation label that could blow up the metric's cardinality or span names. */
export function checkOperation(operation: string): void {
  if (!OPERATION_PATTERN.test(operation)) {
    throw new TypeError(
      `db operation label ${JSON.stringify(operation.slice(0, 80))} is not allowed: use a short fixed name such as "users.upsert" ` +
        '(lower case letters, digits, "_", "." and "-", at most 64 characters), never a value',
    );
  }
}

/** `code` label of db_query_errors_total: the SQLSTATE class ("23"), "connection" or "other". */
export function errorCodeLabel(err: unknown): string {
  const state = sqlState(err);
  if (state) return state.slice(0, 2);
  const code = (err as { code?: unknown } | null)?.code;
  const message = (err as { message?: unknown } | null)?.message;
  if (typeof code === 'string' && /^E[A-Z]+$/.test(code)) return 'connection';
  if (typeof message === 'string' && /connect|Connection terminated|ECONN|socket/i.test(message)) return 'connection';
  return 'other';
}

/**
 * An error's message, safe for spans: data exceptions (SQLSTATE class 22) quote the offending
 * input — `invalid input syntax for type uuid: "…"` — and that input is a parameter.
 */
export function safeErrorMessage(err: unknown): string {
  const message = (err as { message?: unknown } | null)?.message;
  const text = typeof message === 'string' ? message : String(err);
  return sqlState(err)?.startsWith('22') ? text.replace(/"(?:[^"]|"")*"/g, '"…"') : text;
}

interface DbMetricFamilies {
  observe(operation: string, outcome: 'ok' | 'error', seconds: number): void;
  error(operation: string, code: string): void;
  sources: Set<() => { inUse: number; idle: number }>;
}

// One set of families per registry: two databases opened with one Observability share them
// (prom-client refuses a second registration of a name), and the pool gauge sums both.
const familiesByRegistry = new WeakMap<object, DbMetricFamilies>();

/**
 * Registers the database metrics on a service's registry (once per registry) and returns
 * them: `db_query_duration_seconds`, `db_query_errors_total`, `db_pool_connections`.
 */
export function createDatabaseMetrics(metrics: Metrics): DbMetricFamilies {
  const existing = familiesByRegistry.get(metrics.registry);
  if (existing) return existing;
  const sources = new Set<() => { inUse: number; idle: number }>();
  const duration = metrics.histogram({
    name: 'db_query_duration_seconds',
    help: 'Database query latency in seconds, by operation label and outcome (ok or error).',
    labelNames: ['operation', 'outcome'],
    buckets: DB_QUERY_DURATION_BUCKETS,
  });
  const errors = metrics.counter({
    name: 'db_query_errors_total',
    help: 'Failed database queries, by operation label and SQLSTATE class (23 = constraint violation), "connection" or "other".',
    labelNames: ['operation', 'code'],
  });
  metrics.gauge({
    name: 'db_pool_connections',
    help: 'Database connections by state (in_use, idle); embedded PGlite has one connection.',
    labelNames: ['state'],
    collect() {
      let inUse = 0;
      let idle = 0;
      for (const source of sources) {
        const c = source();
        inUse += c.inUse;
        idle += c.idle;
      }
      this.set({ state: 'in_use' }, inUse);
      this.set({ state: 'idle' }, idle);
    },
  });
  const families: DbMetricFamilies = {
    observe: (operation, outcome, seconds) => duration.observe({ operation, outcome }, seconds),
    error: (operation, code) => errors.inc({ operation, code }),
    sources,
  };
  familiesByRegistry.set(metrics.registry, families);
  return families;
}

/** What one query is recorded as. */
export interface QuerySpec {
  operation: string;
  sql: string;
}

/**
 * Metrics, a CLIENT span per query and the slow-query warning. Never records SQL parameters:
 * not in span attributes, not in logs, and errors are recorded by message and SQLSTATE only
 * (a PostgreSQL error's `detail` echoes key values, so it is left out).
 */
export class Instrumentation {
  private readonly families: DbMetricFamilies | undefined;
  private readonly tracer: Tracer | undefined;
  private readonly log: Logger | undefined;

  constructor(
    obs: Observability | undefined,
    private readonly baseAttributes: Attributes,
    private readonly slowQueryMs: number,
    connections: () => { inUse: number; idle: number },
  ) {
    this.tracer = obs?.tracer;
    this.log = obs?.getLogger('db');
    this.families = obs ? createDatabaseMetrics(obs.metrics) : undefined;
    this.families?.sources.add(connections);
    this.connections = connections;
  }

  private readonly connections: () => { inUse: number; idle: number };

  get logger(): Logger | undefined {
    return this.log;
  }

  detach(): void {
    this.families?.sources.delete(this.connections);
  }

  async query<T>(spec: QuerySpec, run: () => Promise<T>): Promise<T> {
    const started = performance.now();
    const verb = firstKeyword(spec.sql).toUpperCase() || 'UNKNOWN';
    const span = this.tracer?.startSpan(spanName(spec.operation), {
      kind: KIND_CLIENT,
      attributes: { ...this.baseAttributes, 'db.system.name': 'postgresql', 'db.operation.name': verb, 'db.query.summary': spec.operation },
    });
    let outcome: 'ok' | 'error' = 'ok';
    try {
      return await run();
    } catch (err) {
      outcome = 'error';
      const code = errorCodeLabel(err);
      this.families?.error(spec.operation, code);
      if (span) {
        const state = sqlState(err);
        const name = (err as { name?: unknown } | null)?.name;
        const type = typeof name === 'string' ? name : 'Error';
        const message = safeErrorMessage(err);
        // Message and SQLSTATE only: `detail` echoes key values, the stack adds nothing here.
        span.recordException({ name: type, message, code: state });
        if (state) span.setAttribute('db.response.status_code', state);
        span.setAttribute('error.type', state ?? type);
        span.setStatus({ code: STATUS_ERROR, message });
      }
      throw err;
    } finally {
      const seconds = (performance.now() - started) / 1000;
      this.families?.observe(spec.operation, outcome, seconds);
      if (seconds * 1000 > this.slowQueryMs) {
        this.log?.warning({ operation: spec.operation, duration_ms: Math.round(seconds * 1e6) / 1e3, outcome }, 'db_slow_query');
      }
      span?.end();
    }
  }

  /** Runs `fn` inside an INTERNAL `db.transaction` span, so its queries' spans nest under it. */
  async transaction<T>(fn: () => Promise<T>): Promise<T> {
    if (!this.tracer) return fn();
    const attributes = { ...this.baseAttributes, 'db.system.name': 'postgresql' };
    return this.tracer.startActiveSpan('db.transaction', { kind: KIND_INTERNAL, attributes }, async (span: Span) => {
      try {
        return await fn();
      } catch (err) {
        const state = sqlState(err);
        span.setAttribute('error.type', state ?? ((err as { name?: string }).name || 'Error'));
        span.setStatus({ code: STATUS_ERROR });
        throw err;
      } finally {
        span.end();
      }
    });
  }
}
