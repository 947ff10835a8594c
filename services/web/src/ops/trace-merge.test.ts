import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import type { SpanRecord, TraceRecord } from '@samosachaat/observability';
import { generationOf, mergeTraces, summarize } from './trace-merge.js';

const ID = '1'.repeat(32);

function span(service: string, id: string, parent: string | null, start: string, ms: number, extra: Partial<SpanRecord> = {}): SpanRecord {
  return { trace_id: ID, span_id: id.repeat(16), parent_span_id: parent && parent.repeat(16), name: `${service} ${id}`, kind: 'server', service, start_time: start, duration_ms: ms, status: 'unset', attributes: {}, events: [], ...extra };
}

function rec(spans: SpanRecord[], error = false): TraceRecord {
  return { trace_id: ID, root_name: 'x', start_time: spans[0]!.start_time, duration_ms: 0, span_count: spans.length, dropped_spans: 0, error, spans };
}

describe('mergeTraces', () => {
  it('joins the services of one trace: root, order, extent, services, error', () => {
    const web = rec([span('web', 'a', null, '2026-01-01T00:00:00.000Z', 100), span('web', 'b', 'a', '2026-01-01T00:00:00.005Z', 90, { kind: 'client' })]);
    const chat = rec([span('chat-api', 'c', 'b', '2026-01-01T00:00:00.010Z', 120)], true);
    const [t] = mergeTraces([chat, web, web]);
    assert.equal(t?.root_name, 'web a');
    assert.deepEqual(t?.spans.map((s) => s.span_id[0]), ['a', 'b', 'c']);
    assert.equal(t?.span_count, 3);
    assert.equal(t?.start_time, '2026-01-01T00:00:00.000Z');
    assert.equal(t?.duration_ms, 130);
    assert.deepEqual(t?.services, ['web', 'chat-api']);
    assert.equal(t?.error, true);
    assert.equal('spans' in summarize(t!), false);
  });

  it('flags a trace as failed when any span is in error, and skips empty records', () => {
    const [t, ...rest] = mergeTraces([rec([span('auth', 'd', null, '2026-01-01T00:00:00.000Z', 1, { status: 'error' })]), { ...rec([span('x', 'e', null, '2026-01-01T00:00:00.000Z', 1)]), trace_id: '2'.repeat(32), spans: [] }]);
    assert.equal(t?.error, true);
    assert.equal(rest.length, 0);
  });
});

describe('generationOf', () => {
  it("prefers inference's generation span, falls back to the first-token event, and is null without one", () => {
    const chatGen = span('chat-api', 'f', null, '2026-01-01T00:00:00.000Z', 10, { attributes: { 'gen_ai.request.model': 'proxy' } });
    const infGen = span('inference', 'g', null, '2026-01-01T00:00:00.000Z', 10, {
      attributes: { 'gen_ai.request.model': 'demo', 'gen_ai.response.model': 'demo-1', 'gen_ai.usage.output_tokens': 3 },
      events: [{ name: 'gen_ai.first_token', time: '2026-01-01T00:00:00.042Z', attributes: {} }],
    });
    assert.deepEqual(generationOf([chatGen, infGen]), { time_to_first_token_ms: 42, input_tokens: null, output_tokens: 3, model: 'demo-1' });
    assert.deepEqual(generationOf([chatGen]), { time_to_first_token_ms: null, input_tokens: null, output_tokens: null, model: 'proxy' });
    assert.equal(generationOf([span('web', 'h', null, '2026-01-01T00:00:00.000Z', 1)]), null);
  });
});
