import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpanContext } from '@opentelemetry/api';
import { formatTraceparent, normaliseTraceId, readInboundTrace } from './inbound.js';

const TP = '00-4bf92f3577b34da6a3ce929d0e0e4736-00f067aa0ba902b7-01';

describe('readInboundTrace', () => {
  it('prefers traceparent, then x-trace-id, then x-request-id', () => {
    const all = { traceparent: TP, 'x-trace-id': 'a'.repeat(32), 'x-request-id': 'b'.repeat(32) };
    const tp = readInboundTrace(all);
    assert.equal(tp.source, 'traceparent');
    assert.equal(tp.parent?.traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(tp.parent?.spanId, '00f067aa0ba902b7');
    assert.equal(tp.parent?.isRemote, true);
    assert.deepEqual(readInboundTrace({ ...all, traceparent: undefined }), { source: 'x-trace-id', traceId: 'a'.repeat(32) });
    assert.deepEqual(readInboundTrace({ 'x-request-id': 'b'.repeat(32) }), { source: 'x-request-id', traceId: 'b'.repeat(32) });
    assert.deepEqual(readInboundTrace({}), { source: 'new' });
  });

  it('skips a malformed header and falls through to the next', () => {
    assert.equal(readInboundTrace({ traceparent: '00-xyz-00f067aa0ba902b7-01', 'x-trace-id': 'c'.repeat(32) }).source, 'x-trace-id');
    assert.equal(readInboundTrace({ traceparent: `00-${'0'.repeat(32)}-00f067aa0ba902b7-01` }).source, 'new');
    assert.equal(readInboundTrace({ 'x-trace-id': 'not-hex-at-all-not-hex-at-all-xx', 'x-request-id': 'nope' }).source, 'new');
    assert.equal(readInboundTrace({ 'x-trace-id': [TP, TP] }).source, 'new');
  });

  it('carries tracestate with a valid traceparent', () => {
    const t = readInboundTrace({ traceparent: TP, tracestate: 'vendor=abc' });
    assert.equal(t.parent?.traceState?.get('vendor'), 'abc');
  });

  it('drops an invalid tracestate as a whole and still uses the traceparent', () => {
    const t = readInboundTrace({ traceparent: TP, tracestate: 'good=1,Bad=2' });
    assert.equal(t.source, 'traceparent');
    assert.equal(t.parent?.traceState, undefined);
    const many = Array.from({ length: 33 }, (_, i) => `k${i}=v`).join(',');
    assert.equal(readInboundTrace({ traceparent: TP, tracestate: many }).parent?.traceState, undefined);
  });

  it('joins several tracestate fields in order', () => {
    const t = readInboundTrace({ traceparent: TP, tracestate: ['rojo=00f067aa0ba902b7', 'congo=t61rcWkgMzE'] });
    assert.equal(t.parent?.traceState?.serialize(), 'rojo=00f067aa0ba902b7,congo=t61rcWkgMzE');
  });

  it('never reads a tracestate without a valid traceparent', () => {
    assert.deepEqual(readInboundTrace({ tracestate: 'vendor=abc', 'x-trace-id': 'a'.repeat(32) }), { source: 'x-trace-id', traceId: 'a'.repeat(32) });
  });
});

describe('normaliseTraceId', () => {
  it('accepts 32 hex in any case and UUIDs, rejects the rest', () => {
    assert.equal(normaliseTraceId('ABCDEF0123456789ABCDEF0123456789'), 'abcdef0123456789abcdef0123456789');
    assert.equal(normaliseTraceId('123e4567-e89b-12d3-a456-426614174000'), '123e4567e89b12d3a456426614174000');
    for (const bad of ['', 'abc', 'g'.repeat(32), '0'.repeat(32), `${'a'.repeat(32)}\r\nx`, 'a'.repeat(10_000), '{"trace_id":"x"}']) {
      assert.equal(normaliseTraceId(bad), undefined, bad.slice(0, 40));
    }
  });
});

describe('formatTraceparent', () => {
  it('round-trips with the parser', () => {
    const parent = readInboundTrace({ traceparent: TP }).parent;
    assert.ok(parent);
    assert.equal(formatTraceparent(parent), TP);
  });

  it('keeps the sampled (0x01) and random (0x02) flags, and sends every other flag as zero', () => {
    const with_ = (flags: string) => readInboundTrace({ traceparent: TP.replace(/-01$/, `-${flags}`) }).parent as SpanContext;
    assert.equal(formatTraceparent(with_('03')).slice(-2), '03');
    assert.equal(formatTraceparent(with_('02')).slice(-2), '02');
    assert.equal(formatTraceparent(with_('00')).slice(-2), '00');
    assert.equal(formatTraceparent(with_('ff')).slice(-2), '03', 'undefined flags go out as zero');
    assert.equal(formatTraceparent(with_('01'), true).slice(-2), '03', 'a trace id known to be random');
  });
});
