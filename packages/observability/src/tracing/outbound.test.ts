import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { createTracedFetch, traceHeaders } from './outbound.js';
import { setupTracing } from './setup.js';

describe('outbound trace propagation', () => {
  it('traceHeaders is empty without an active span', () => {
    assert.deepEqual(traceHeaders(), {});
  });

  it('wraps the call in a CLIENT span and injects traceparent and x-trace-id of that span', async () => {
    const t = setupTracing({ serviceName: 'chat-api', registerGlobal: false });
    let seen: Headers | undefined;
    const fakeFetch = (async (_url: URL, init?: RequestInit) => {
      seen = new Headers(init?.headers);
      return new Response('{}', { status: 503 });
    }) as unknown as typeof fetch;
    const tracedFetch = createTracedFetch(t.tracer, fakeFetch);
    const parent = t.tracer.startSpan('POST /api/x');
    const res = await context.with(trace.setSpan(context.active(), parent), () =>
      tracedFetch('http://127.0.0.1:8001/auth/validate', { method: 'post', headers: { 'x-keep': '1' } }, { peerService: 'auth' }),
    );
    parent.end();
    assert.equal(res.status, 503);
    assert.equal(seen?.get('x-keep'), '1');
    assert.equal(seen?.get('x-trace-id'), parent.spanContext().traceId);
    const [, traceId, spanId] = seen?.get('traceparent')?.split('-') ?? [];
    assert.equal(traceId, parent.spanContext().traceId);
    await t.forceFlush();
    const spans = t.traces!.getTrace(parent.spanContext().traceId)!.spans;
    const client = spans.find((s) => s.kind === 'client');
    assert.equal(client?.span_id, spanId);
    assert.equal(client?.parent_span_id, parent.spanContext().spanId);
    assert.equal(client?.status, 'error');
    assert.equal(client?.attributes['peer.service'], 'auth');
    assert.equal(client?.attributes['http.response.status_code'], 503);
    await t.shutdown();
  });

  it('records network failures and rethrows them unchanged', async () => {
    const t = setupTracing({ serviceName: 'chat-api', registerGlobal: false });
    const boom = new TypeError('fetch failed');
    const tracedFetch = createTracedFetch(t.tracer, (async () => Promise.reject(boom)) as unknown as typeof fetch);
    await assert.rejects(tracedFetch('http://127.0.0.1:1/x'), (err) => err === boom);
    await t.forceFlush();
    assert.equal(t.traces!.recent()[0]?.spans[0]?.attributes['error.type'], 'TypeError');
    await t.shutdown();
  });
});
