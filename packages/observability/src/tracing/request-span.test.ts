import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, TraceFlags } from '@opentelemetry/api';
import { hrTimeToMilliseconds } from '@opentelemetry/core';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { AlwaysOffSampler, AlwaysOnSampler, BasicTracerProvider, InMemorySpanExporter, SimpleSpanProcessor, type Sampler } from '@opentelemetry/sdk-trace-base';
import { PooledIdGenerator } from './id-generator.js';
import { RequestSpan, RequestSpanFactory } from './request-span.js';
import { samplerFromEnv, setupTracing } from './setup.js';

function factory(sampler: Sampler = new AlwaysOnSampler()) {
  const exporter = new InMemorySpanExporter();
  const processor = new SimpleSpanProcessor(exporter);
  const resource = resourceFromAttributes({ 'service.name': 'span-test' });
  const spans = new RequestSpanFactory(resource, { name: 'scope-test' }, sampler, new PooledIdGenerator(), [processor]);
  const provider = new BasicTracerProvider({ resource, sampler, spanProcessors: [processor] });
  return { spans, exporter, tracer: provider.getTracer('sdk') };
}

const start = (attrs: Record<string, string> = { 'http.request.method': 'GET', 'http.route': '/x' }) => ({
  name: 'GET /x',
  context: ROOT_CONTEXT,
  parent: undefined,
  traceId: undefined,
  attributes: { ...attrs },
  startPerf: performance.now(),
});

describe('request spans', () => {
  it('export as SERVER spans with attributes, status, events, times, resource and scope', () => {
    const { spans, exporter } = factory();
    const before = Date.now();
    const span = spans.start(start());
    span.setAttribute('http.response.status_code', 503);
    span.setAttributes({ 'samosachaat.client_disconnected': true, 'bad.value': { nested: 1 } as never });
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'HTTP 503' });
    span.addEvent('first_token', { tokens: 1 });
    span.recordException(new TypeError('boom'));
    assert.equal(span.isRecording(), true);
    span.end();
    span.end(); // a second end is ignored (and reported through diag, as the SDK does)
    span.setAttribute('late', 'ignored');
    assert.equal(span.isRecording(), false);
    const [done] = exporter.getFinishedSpans();
    assert.equal(exporter.getFinishedSpans().length, 1);
    assert.equal(done?.name, 'GET /x');
    assert.equal(done?.kind, SpanKind.SERVER);
    assert.deepEqual(done?.attributes, { 'http.request.method': 'GET', 'http.route': '/x', 'http.response.status_code': 503, 'samosachaat.client_disconnected': true });
    assert.deepEqual(done?.status, { code: SpanStatusCode.ERROR, message: 'HTTP 503' });
    assert.deepEqual(done?.events.map((e) => e.name), ['first_token', 'exception']);
    assert.equal(done?.events[1]?.attributes?.['exception.type'], 'TypeError');
    assert.equal(done?.resource.attributes['service.name'], 'span-test');
    assert.equal(done?.instrumentationScope.name, 'scope-test');
    assert.equal(done?.ended, true);
    const startMs = hrTimeToMilliseconds(done!.startTime);
    assert.ok(startMs >= before - 5 && startMs <= Date.now() + 5, `start ${startMs} near now ${before}`);
    assert.ok(hrTimeToMilliseconds(done!.duration) >= 0);
    assert.ok(Math.abs(hrTimeToMilliseconds(done!.endTime) - startMs - hrTimeToMilliseconds(done!.duration)) < 0.01);
    assert.match(done!.spanContext().spanId, /^[0-9a-f]{16}$/);
    // A trace this process starts has a random id: sampled and random (0x02) flags.
    assert.equal(done!.spanContext().traceFlags, TraceFlags.SAMPLED | 0x02);
  });

  it('continue a remote parent, or a trace id handed over without one', () => {
    const { spans, exporter } = factory();
    const parent = { traceId: '0af7651916cd43dd8448eb211c80319c', spanId: 'b7ad6b7169203331', traceFlags: TraceFlags.SAMPLED, isRemote: true };
    spans.start({ ...start(), context: trace.setSpanContext(ROOT_CONTEXT, parent), parent }).end();
    spans.start({ ...start(), traceId: '4bf92f3577b34da6a3ce929d0e0e4736' }).end();
    const [child, seeded] = exporter.getFinishedSpans();
    assert.equal(child?.spanContext().traceId, parent.traceId);
    assert.equal(child?.parentSpanContext?.spanId, parent.spanId);
    assert.equal(seeded?.spanContext().traceId, '4bf92f3577b34da6a3ce929d0e0e4736');
    assert.equal(seeded?.parentSpanContext, undefined);
    // The random flag follows the caller's (unset here); an id from x-trace-id is not known random.
    assert.equal(child?.spanContext().traceFlags, TraceFlags.SAMPLED);
    assert.equal(seeded?.spanContext().traceFlags, TraceFlags.SAMPLED);
    spans.start({ ...start(), context: trace.setSpanContext(ROOT_CONTEXT, { ...parent, traceFlags: 0x03 }), parent: { ...parent, traceFlags: 0x03 } }).end();
    assert.equal(exporter.getFinishedSpans()[2]?.spanContext().traceFlags, 0x03, "the caller's random flag is kept");
  });

  it('are parents of spans the SDK tracer starts inside them', () => {
    const { spans, exporter, tracer } = factory();
    const server = spans.start(start());
    const child = tracer.startSpan('db.query', {}, trace.setSpan(context.active(), server));
    child.end();
    server.end();
    const [db] = exporter.getFinishedSpans();
    assert.equal(db?.name, 'db.query');
    assert.equal(db?.spanContext().traceId, server.spanContext().traceId);
    assert.equal(db?.parentSpanContext?.spanId, server.spanContext().spanId);
  });

  it('follow the sampler: a dropped request still carries valid ids but exports nothing', () => {
    const { spans, exporter } = factory(new AlwaysOffSampler());
    const span = spans.start(start());
    assert.equal(span.isRecording(), false);
    assert.ok(trace.isSpanContextValid(span.spanContext()));
    assert.equal(span.spanContext().traceFlags, 0x02, 'not sampled, but still a random trace id');
    span.end();
    assert.equal(exporter.getFinishedSpans().length, 0);
  });

  it('keep at most 128 attributes and count the rest as dropped', () => {
    const { spans, exporter } = factory();
    const span = spans.start(start());
    for (let i = 0; i < 200; i++) span.setAttribute(`a${i}`, i);
    span.end();
    const [done] = exporter.getFinishedSpans();
    assert.equal(Object.keys(done!.attributes).length, 128);
    assert.equal(done?.droppedAttributesCount, 200 - 126);
  });

  it('set known-valid attributes under the same limit and end rule as setAttribute', () => {
    const { spans, exporter } = factory();
    const span = spans.start(start()) as RequestSpan;
    for (let i = 0; i < 130; i++) span.setValidAttribute(`a${i}`, i);
    span.setValidAttribute('a0', 'again');
    span.end();
    span.setValidAttribute('late', true);
    const [done] = exporter.getFinishedSpans();
    assert.equal(Object.keys(done!.attributes).length, 128);
    assert.equal(done?.attributes.a0, 'again');
    assert.equal(done?.attributes.late, undefined);
    assert.equal(done?.droppedAttributesCount, 130 - 126);
  });

  it('keep their defaults on the prototype until set, and one span\'s change stays its own', () => {
    const { spans } = factory();
    const a = spans.start(start()) as RequestSpan;
    const b = spans.start(start()) as RequestSpan;
    for (const key of ['kind', 'status', 'events', 'links', 'droppedAttributesCount', 'droppedEventsCount', 'droppedLinksCount']) assert.equal(Object.hasOwn(a, key), false, key);
    a.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
    a.addEvent('e');
    a.addLink({ context: b.spanContext() });
    assert.deepEqual(a.status, { code: SpanStatusCode.ERROR, message: 'boom' });
    assert.equal(a.events.length, 1);
    assert.equal(a.links.length, 1);
    assert.deepEqual(b.status, { code: SpanStatusCode.UNSET });
    assert.deepEqual([b.events, b.links, b.kind, b.droppedEventsCount], [[], [], SpanKind.SERVER, 0]);
    a.end();
    b.end();
  });
});

describe('samplerFromEnv', () => {
  it('builds the standard samplers and falls back to parentbased_always_on on nonsense', () => {
    assert.match(samplerFromEnv({}).toString(), /ParentBased\{root=AlwaysOnSampler/);
    assert.equal(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'always_off' }).toString(), 'AlwaysOffSampler');
    assert.equal(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.25' }).toString(), 'TraceIdRatioBased{0.25}');
    assert.match(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_traceidratio', OTEL_TRACES_SAMPLER_ARG: '0.5' }).toString(), /root=TraceIdRatioBased\{0.5\}/);
    assert.equal(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'traceidratio', OTEL_TRACES_SAMPLER_ARG: '7' }).toString(), 'TraceIdRatioBased{1}');
    assert.match(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'sometimes' }).toString(), /ParentBased\{root=AlwaysOnSampler/);
    assert.match(samplerFromEnv({ OTEL_TRACES_SAMPLER: 'parentbased_always_off' }).toString(), /root=AlwaysOffSampler/);
  });

  it('drives both the request spans and the SDK tracer of setupTracing', async () => {
    const previous = process.env.OTEL_TRACES_SAMPLER;
    process.env.OTEL_TRACES_SAMPLER = 'always_off';
    try {
      const t = setupTracing({ serviceName: 'sampler-test', registerGlobal: false, ringBufferDelayMs: 5 });
      t.requestSpans.start(start()).end();
      t.tracer.startSpan('sdk').end();
      await t.forceFlush();
      assert.equal(t.traces?.size, 0);
      await t.shutdown();
    } finally {
      if (previous === undefined) delete process.env.OTEL_TRACES_SAMPLER;
      else process.env.OTEL_TRACES_SAMPLER = previous;
    }
  });
});
