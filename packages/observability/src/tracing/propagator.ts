import { trace, type Context, type TextMapGetter, type TextMapPropagator, type TextMapSetter } from '@opentelemetry/api';
import { RANDOM_TRACE_ID_KEY } from '../context/request-context.js';
import { formatTraceparent, readInboundTrace } from './inbound.js';

/**
 * The global OpenTelemetry propagator, for third-party instrumentation: the same W3C Trace
 * Context Level 2 rules as the services' own headers (`traceparent` with the `random` flag
 * kept, `tracestate` dropped as a whole when invalid), where OpenTelemetry's
 * W3CTraceContextPropagator repairs tracestate member by member and drops the random flag of
 * child spans.
 */
export class TraceContextPropagator implements TextMapPropagator {
  inject(context: Context, carrier: unknown, setter: TextMapSetter): void {
    const sc = trace.getSpanContext(context);
    if (!sc || !trace.isSpanContextValid(sc)) return;
    setter.set(carrier, 'traceparent', formatTraceparent(sc, context.getValue(RANDOM_TRACE_ID_KEY) === sc.traceId));
    const state = sc.traceState?.serialize();
    if (state) setter.set(carrier, 'tracestate', state);
  }

  extract(context: Context, carrier: unknown, getter: TextMapGetter): Context {
    const inbound = readInboundTrace({ traceparent: getter.get(carrier, 'traceparent'), tracestate: getter.get(carrier, 'tracestate') });
    return inbound.parent ? trace.setSpanContext(context, inbound.parent) : context;
  }

  fields(): string[] {
    return ['traceparent', 'tracestate'];
  }
}

