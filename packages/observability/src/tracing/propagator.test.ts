import assert from 'node:assert/strict';
import { ROOT_CONTEXT, trace, type TextMapGetter, type TextMapSetter } from '@opentelemetry/api';
import { describe, it } from 'node:test';
import { TraceContextPropagator } from './propagator.js';

const getter: TextMapGetter<Record<string, string>> = { get: (c, k) => c[k], keys: (c) => Object.keys(c) };
const setter: TextMapSetter<Record<string, string>> = { set: (c, k, v) => void (c[k] = v) };
const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-03';

describe('the global TraceContextPropagator', () => {
  it('extracts and injects traceparent with the random flag, and a valid tracestate unchanged', () => {
    const p = new TraceContextPropagator();
    const ctx = p.extract(ROOT_CONTEXT, { traceparent: TP, tracestate: 'rojo=00f067aa0ba902b7, congo=t61rcWkgMzE' }, getter);
    assert.equal(trace.getSpanContext(ctx)?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    const out: Record<string, string> = {};
    p.inject(ctx, out, setter);
    assert.equal(out.traceparent, TP);
    assert.equal(out.tracestate, 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
    assert.deepEqual(p.fields(), ['traceparent', 'tracestate']);
  });

  it('drops an invalid tracestate as a whole, and ignores a tracestate without a traceparent', () => {
    const p = new TraceContextPropagator();
    const out: Record<string, string> = {};
    p.inject(p.extract(ROOT_CONTEXT, { traceparent: TP, tracestate: 'ok=1,NOT-OK=2' }, getter), out, setter);
    assert.equal(out.traceparent, TP);
    assert.equal(out.tracestate, undefined);
    assert.equal(trace.getSpanContext(p.extract(ROOT_CONTEXT, { tracestate: 'ok=1' }, getter)), undefined);
  });
});
