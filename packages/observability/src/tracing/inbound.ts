import { TraceFlags, type SpanContext } from '@opentelemetry/api';
import { TraceState, parseTraceParent } from '@opentelemetry/core';

/** Where the trace of an inbound request came from. */
export type TraceSource = 'traceparent' | 'x-trace-id' | 'x-request-id' | 'new';

/** The result of reading a request's trace headers. */
export interface InboundTrace {
  source: TraceSource;
  /** A remote parent span (only from `traceparent`). */
  parent?: SpanContext;
  /** A trace id to continue without a parent span (from `x-trace-id` / `x-request-id`). */
  traceId?: string;
}

type HeaderValue = string | string[] | undefined;
type Headers = Record<string, HeaderValue>;

const HEX32 = /^[0-9a-f]{32}$/;
const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
const ZERO_TRACE = '00000000000000000000000000000000';

function single(value: HeaderValue): string | undefined {
  // A repeated header is ambiguous; ambiguity is treated as absence, never guessed at.
  if (Array.isArray(value)) return value.length === 1 ? value[0] : undefined;
  return value;
}

/**
 * Accepts a trace id as 32 hex digits or as a UUID (dashes dropped), any case; anything
 * else — wrong length, non-hex, all zeros — is `undefined`, never echoed or trusted.
 */
export function normaliseTraceId(value: string | undefined): string | undefined {
  if (value === undefined || value.length > 36) return undefined;
  const v = value.trim().toLowerCase();
  const id = HEX32.test(v) ? v : UUID.test(v) ? v.replace(/-/g, '') : undefined;
  return id === ZERO_TRACE ? undefined : id;
}

/**
 * Reads the inbound trace in the contract's order: W3C `traceparent` (+ `tracestate`), then
 * `x-trace-id`, then `x-request-id`, else a new trace. Malformed values are skipped.
 */
export function readInboundTrace(headers: Headers): InboundTrace {
  const traceparent = single(headers.traceparent);
  if (traceparent !== undefined && traceparent.length <= 128) {
    const parent = parseTraceParent(traceparent.trim());
    if (parent) {
      parent.isRemote = true;
      const state = single(headers.tracestate);
      if (state && state.length <= 512) parent.traceState = new TraceState(state);
      return { source: 'traceparent', parent };
    }
  }
  const fromTraceId = normaliseTraceId(single(headers['x-trace-id']));
  if (fromTraceId) return { source: 'x-trace-id', traceId: fromTraceId };
  const fromRequestId = normaliseTraceId(single(headers['x-request-id']));
  if (fromRequestId) return { source: 'x-request-id', traceId: fromRequestId };
  return { source: 'new' };
}

/** Formats a W3C `traceparent` header for a span context. */
export function formatTraceparent(sc: SpanContext): string {
  const flags = (sc.traceFlags & TraceFlags.SAMPLED) === TraceFlags.SAMPLED ? '01' : '00';
  return `00-${sc.traceId}-${sc.spanId}-${flags}`;
}
