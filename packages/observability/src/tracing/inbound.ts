import { TraceFlags, type SpanContext } from '@opentelemetry/api';
import { parseTraceParent } from '@opentelemetry/core';
import { W3cTraceState } from './trace-state.js';

/**
 * The `random-trace-id` trace flag of W3C Trace Context Level 2: at least the right-most 7
 * bytes of the trace id are random. Kept as received on everything propagated with the same
 * trace id; set on the traces this service starts (its ids are random).
 */
export const TRACE_FLAG_RANDOM = 0x02;
// The flags this version of the specification defines; the others go out as zero.
const KNOWN_FLAGS = TraceFlags.SAMPLED | TRACE_FLAG_RANDOM;

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
// 32 members of 256-character keys and values, their separators and some whitespace: longer
// cannot be valid, and is not worth splitting.
const MAX_TRACESTATE_HEADER = 32 * 514 + 31 * 3;

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
      // Several tracestate fields arrive joined with commas (Node joins them); an invalid
      // header is dropped as a whole, and never stops the traceparent from being used.
      const state = headers.tracestate;
      const text = Array.isArray(state) ? state.join(',') : state;
      if (text !== undefined && text.length <= MAX_TRACESTATE_HEADER) {
        const parsed = W3cTraceState.parse(text);
        if (parsed && parsed.size > 0) parent.traceState = parsed;
      }
      return { source: 'traceparent', parent };
    }
  }
  const fromTraceId = normaliseTraceId(single(headers['x-trace-id']));
  if (fromTraceId) return { source: 'x-trace-id', traceId: fromTraceId };
  const fromRequestId = normaliseTraceId(single(headers['x-request-id']));
  if (fromRequestId) return { source: 'x-request-id', traceId: fromRequestId };
  return NEW_TRACE;
}

// Nothing usable came in: the same (frozen) answer every time, no allocation.
const NEW_TRACE: InboundTrace = Object.freeze({ source: 'new' });

/**
 * Formats a W3C `traceparent` header for a span context: the `sampled` and `random` flags as
 * they are (or `random` forced on when the caller knows the trace id is random), every flag
 * this version does not define as zero.
 */
export function formatTraceparent(sc: SpanContext, randomTraceId = false): string {
  const flags = (sc.traceFlags & KNOWN_FLAGS) | (randomTraceId ? TRACE_FLAG_RANDOM : 0);
  return `00-${sc.traceId}-${sc.spanId}${FLAG_SUFFIXES[flags] as string}`;
}

// The header's last field for each value of the known flags (no number formatting per request).
const FLAG_SUFFIXES = ['-00', '-01', '-02', '-03'];
