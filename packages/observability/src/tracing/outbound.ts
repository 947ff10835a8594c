import { context, SpanKind, SpanStatusCode, trace, type Tracer } from '@opentelemetry/api';
import { RANDOM_TRACE_ID_KEY } from '../context/request-context.js';
import { formatTraceparent } from './inbound.js';

/**
 * The headers that carry the active trace to another service: `traceparent` (W3C) and
 * `x-trace-id` (for services and log pipelines that only read the plain id). Empty when
 * no valid span is active.
 */
export function traceHeaders(): Record<string, string> {
  const ctx = context.active();
  const sc = trace.getSpan(ctx)?.spanContext();
  if (!sc || !trace.isSpanContextValid(sc)) return {};
  // The request's `random` flag reaches every call made with its trace id, child spans included.
  const random = ctx.getValue(RANDOM_TRACE_ID_KEY) === sc.traceId;
  const headers: Record<string, string> = { traceparent: formatTraceparent(sc, random), 'x-trace-id': sc.traceId };
  const state = sc.traceState?.serialize();
  if (state) headers.tracestate = state;
  return headers;
}

/** Options of a traced fetch. */
export interface TracedFetchOptions {
  /** Span name; default `HTTP <METHOD>`. */
  spanName?: string;
  /** Logical name of the callee (`auth`, `inference`, `upstream`), recorded as `peer.service`. */
  peerService?: string;
}

/** A `fetch` that runs inside a CLIENT span and carries the trace to the callee. */
export type TracedFetch = (input: string | URL, init?: RequestInit, options?: TracedFetchOptions) => Promise<Response>;

function mergeHeaders(init: RequestInit | undefined, extra: Record<string, string>): Headers {
  const headers = new Headers(init?.headers);
  for (const [k, v] of Object.entries(extra)) headers.set(k, v);
  return headers;
}

/**
 * Builds a fetch (undici, Node's global) that wraps each call in a CLIENT span, injects
 * `traceparent` + `x-trace-id` of that span, and records the status. 5xx answers and
 * network failures mark the span as an error; the response or error goes back untouched.
 */
export function createTracedFetch(tracer: Tracer, fetchImpl: typeof fetch = globalThis.fetch): TracedFetch {
  return async (input, init, options = {}) => {
    const method = (init?.method ?? 'GET').toUpperCase();
    const url = typeof input === 'string' ? new URL(input) : input;
    const attributes: Record<string, string | number> = {
      'http.request.method': method,
      'server.address': url.hostname,
      'url.full': `${url.origin}${url.pathname}`,
    };
    if (url.port) attributes['server.port'] = Number(url.port);
    if (options.peerService) attributes['peer.service'] = options.peerService;
    const span = tracer.startSpan(options.spanName ?? `HTTP ${method}`, { kind: SpanKind.CLIENT, attributes });
    const ctx = trace.setSpan(context.active(), span);
    try {
      const response = await context.with(ctx, () => fetchImpl(url, { ...init, headers: mergeHeaders(init, traceHeaders()) }));
      span.setAttribute('http.response.status_code', response.status);
      if (response.status >= 500) span.setStatus({ code: SpanStatusCode.ERROR, message: `HTTP ${response.status}` });
      return response;
    } catch (err) {
      const e = err as Error;
      span.recordException(e);
      span.setStatus({ code: SpanStatusCode.ERROR, message: e.message });
      span.setAttribute('error.type', e.name);
      throw err;
    } finally {
      span.end();
    }
  };
}
