import { SpanKind, SpanStatusCode } from '@opentelemetry/api';
import { ExportResultCode, hrTimeToMilliseconds, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';
import { RequestSpan } from './request-span.js';

/** A span as the debug API and the CLI show it. */
export interface SpanRecord {
  trace_id: string;
  span_id: string;
  parent_span_id: string | null;
  name: string;
  kind: 'internal' | 'server' | 'client' | 'producer' | 'consumer';
  service: string;
  start_time: string;
  duration_ms: number;
  status: 'unset' | 'ok' | 'error';
  status_message?: string;
  attributes: Record<string, unknown>;
  events: Array<{ name: string; time: string; attributes: Record<string, unknown> }>;
}

/** One trace: every span this process saw for it. */
export interface TraceRecord {
  trace_id: string;
  root_name: string;
  start_time: string;
  duration_ms: number;
  span_count: number;
  dropped_spans: number;
  error: boolean;
  spans: SpanRecord[];
}

/** Filters of {@link RingBufferSpanExporter.recent}. */
export interface RecentTracesQuery {
  /** How many traces, newest first. Default 50. */
  limit?: number;
  /** Only traces with at least one span in error. */
  errorsOnly?: boolean;
}

// What is kept of a span: the fields the views need and nothing else, times as plain numbers.
// The span objects handed over by the SDK die at export; what stays here lives for as long as
// the buffer takes to turn over (about a second at thousands of requests a second), long
// enough to be promoted by the garbage collector, so it is kept to as few objects as possible:
// one per span, plus its attributes (and events, if any).
// A request span (./request-span.ts) already is that, and is kept as it is.
interface CompactSpan {
  readonly traceId: string;
  readonly spanId: string;
  readonly parentSpanId: string | undefined;
  readonly name: string;
  readonly kind: SpanKind;
  /** Milliseconds since the epoch. */
  readonly startMs: number;
  readonly durationMs: number;
  readonly statusCode: SpanStatusCode;
  readonly statusMessage: string | undefined;
  readonly attributes: ReadableSpan['attributes'];
  readonly events: ReadableSpan['events'];
}

// A trace of more than one span. A trace of one span (most of them: one request to one
// service) is stored as that span alone.
interface Entry {
  spans: CompactSpan[];
  dropped: number;
  error: boolean;
}

type Stored = CompactSpan | Entry;

function isEntry(stored: Stored): stored is Entry {
  return (stored as Entry).spans !== undefined;
}

const NO_EVENTS: ReadableSpan['events'] = Object.freeze([]) as unknown as ReadableSpan['events'];

function compact(span: ReadableSpan): CompactSpan {
  if (span instanceof RequestSpan) return span;
  const sc = span.spanContext();
  return {
    traceId: sc.traceId,
    spanId: sc.spanId,
    parentSpanId: span.parentSpanContext?.spanId,
    name: span.name,
    kind: span.kind,
    startMs: hrTimeToMilliseconds(span.startTime),
    durationMs: hrTimeToMilliseconds(span.duration),
    statusCode: span.status.code,
    statusMessage: span.status.message,
    attributes: span.attributes,
    events: span.events.length === 0 ? NO_EVENTS : span.events,
  };
}

const KINDS = ['internal', 'server', 'client', 'producer', 'consumer'] as const;
const STATUSES = ['unset', 'ok', 'error'] as const;

function toRecord(span: CompactSpan, service: string): SpanRecord {
  const record: SpanRecord = {
    trace_id: span.traceId,
    span_id: span.spanId,
    parent_span_id: span.parentSpanId ?? null,
    name: span.name,
    kind: KINDS[span.kind ?? SpanKind.INTERNAL] ?? 'internal',
    service,
    start_time: new Date(span.startMs).toISOString(),
    duration_ms: Math.round(span.durationMs * 1000) / 1000,
    status: STATUSES[span.statusCode] ?? 'unset',
    attributes: { ...span.attributes },
    events: span.events.map((e) => ({
      name: e.name,
      time: new Date(hrTimeToMilliseconds(e.time)).toISOString(),
      attributes: { ...(e.attributes ?? {}) },
    })),
  };
  if (span.statusMessage) record.status_message = span.statusMessage;
  return record;
}

/**
 * Keeps the most recent completed traces in memory (default 10,000) for the local console,
 * the CLI and `/debug/traces`. It sits behind a BatchSpanProcessor like any exporter, so the
 * request path only pays for a queue push. Memory is bounded twice: by trace count and by
 * spans per trace.
 */
export class RingBufferSpanExporter implements SpanExporter {
  private readonly traces = new Map<string, Stored>();
  // Insertion order as a circular array: evicting the oldest trace is O(1). (A Map's first
  // key is not: V8 leaves deleted entries as holes that `keys().next()` walks past.)
  private readonly order: string[];
  private next = 0;
  private stopped = false;

  constructor(
    /** `service.name` of every span this process exports. */
    readonly service: string,
    readonly capacity = 10_000,
    readonly maxSpansPerTrace = 1_000,
    /** Told of each span not kept because its trace already holds `maxSpansPerTrace`. */
    private readonly onSpanLimit?: () => void,
  ) {
    if (!Number.isInteger(capacity) || capacity < 1) throw new Error(`trace ring buffer capacity must be a positive integer, got ${capacity}`);
    this.order = new Array<string>(capacity);
  }

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    if (this.stopped) return resultCallback({ code: ExportResultCode.FAILED, error: new Error('exporter shut down') });
    for (const span of spans) {
      const id = span.spanContext().traceId;
      const stored = this.traces.get(id);
      if (stored === undefined) {
        const evicted = this.order[this.next];
        if (evicted !== undefined) this.traces.delete(evicted);
        this.order[this.next] = id;
        this.next = this.next + 1 === this.capacity ? 0 : this.next + 1;
        this.traces.set(id, compact(span));
        continue;
      }
      let entry: Entry;
      if (isEntry(stored)) entry = stored;
      else {
        entry = { spans: [stored], dropped: 0, error: stored.statusCode === SpanStatusCode.ERROR };
        this.traces.set(id, entry);
      }
      if (entry.spans.length >= this.maxSpansPerTrace) {
        entry.dropped++;
        this.onSpanLimit?.();
      } else entry.spans.push(compact(span));
      if (span.status.code === SpanStatusCode.ERROR) entry.error = true;
    }
    resultCallback({ code: ExportResultCode.SUCCESS });
  }

  /** Number of traces held. */
  get size(): number {
    return this.traces.size;
  }

  /** One trace by its 32-hex id, or undefined. */
  getTrace(traceId: string): TraceRecord | undefined {
    const stored = this.traces.get(traceId.toLowerCase());
    return stored && this.toTrace(traceId.toLowerCase(), stored);
  }

  /** The most recent traces, newest first. */
  recent(query: RecentTracesQuery = {}): TraceRecord[] {
    const limit = Math.max(0, Math.min(query.limit ?? 50, this.capacity));
    const out: TraceRecord[] = [];
    for (let n = 1; n <= this.capacity && out.length < limit; n++) {
      const id = this.order[(this.next - n + this.capacity) % this.capacity];
      if (id === undefined) break;
      const stored = this.traces.get(id) as Stored;
      if (query.errorsOnly && !(isEntry(stored) ? stored.error : stored.statusCode === SpanStatusCode.ERROR)) continue;
      out.push(this.toTrace(id, stored));
    }
    return out;
  }

  /** Forgets every trace (tests, or an operator clearing the console). */
  clear(): void {
    this.traces.clear();
    this.order.fill(undefined as unknown as string);
    this.next = 0;
  }

  shutdown(): Promise<void> {
    this.stopped = true;
    return Promise.resolve();
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  private toTrace(id: string, stored: Stored): TraceRecord {
    const entry: Entry = isEntry(stored) ? stored : { spans: [stored], dropped: 0, error: stored.statusCode === SpanStatusCode.ERROR };
    const spans = entry.spans.map((span) => toRecord(span, this.service)).sort((a, b) => a.start_time.localeCompare(b.start_time));
    const ids = new Set(spans.map((s) => s.span_id));
    // The root is the span whose parent this process never saw (a remote or absent parent).
    const root = spans.find((s) => s.parent_span_id === null || !ids.has(s.parent_span_id)) ?? spans[0];
    const start = Math.min(...spans.map((s) => Date.parse(s.start_time)));
    const end = Math.max(...spans.map((s) => Date.parse(s.start_time) + s.duration_ms));
    return {
      trace_id: id,
      root_name: root?.name ?? '',
      start_time: new Date(start).toISOString(),
      duration_ms: Math.round((end - start) * 1000) / 1000,
      span_count: spans.length,
      dropped_spans: entry.dropped,
      error: entry.error,
      spans,
    };
  }
}
