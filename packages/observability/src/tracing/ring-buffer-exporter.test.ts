import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, SpanStatusCode, trace } from '@opentelemetry/api';
import { setupTracing } from './setup.js';

function tracing(size = 3) {
  return setupTracing({ serviceName: 'ring-test', ringBufferSize: size, registerGlobal: false, ringBufferDelayMs: 5 });
}

describe('RingBufferSpanExporter', () => {
  it('groups spans by trace with parent links, newest trace first', async () => {
    const t = tracing(10);
    const root = t.tracer.startSpan('GET /a');
    const child = t.tracer.startSpan('db.query', {}, trace.setSpan(context.active(), root));
    child.end();
    root.end();
    const other = t.tracer.startSpan('GET /b');
    other.end();
    await t.forceFlush();
    const [newest, oldest] = t.traces!.recent();
    assert.equal(newest?.root_name, 'GET /b');
    assert.equal(oldest?.span_count, 2);
    assert.equal(oldest?.root_name, 'GET /a');
    const db = oldest?.spans.find((s) => s.name === 'db.query');
    assert.equal(db?.parent_span_id, root.spanContext().spanId);
    assert.equal(db?.service, 'ring-test');
    assert.equal(t.traces!.getTrace(root.spanContext().traceId.toUpperCase())?.trace_id, root.spanContext().traceId);
    await t.shutdown();
  });

  it('keeps only the configured number of traces', async () => {
    const t = tracing(3);
    const ids: string[] = [];
    for (let i = 0; i < 5; i++) {
      const s = t.tracer.startSpan(`op-${i}`);
      ids.push(s.spanContext().traceId);
      s.end();
    }
    await t.forceFlush();
    assert.equal(t.traces!.size, 3);
    assert.deepEqual(t.traces!.recent({ limit: 10 }).map((r) => r.root_name), ['op-4', 'op-3', 'op-2']);
    assert.equal(t.traces!.getTrace(ids[0] as string), undefined);
    await t.shutdown();
  });

  it('filters errors only and honours the limit', async () => {
    const t = tracing(10);
    for (let i = 0; i < 4; i++) {
      const s = t.tracer.startSpan(`op-${i}`);
      if (i % 2 === 1) s.setStatus({ code: SpanStatusCode.ERROR, message: 'boom' });
      s.end();
    }
    await t.forceFlush();
    const errors = t.traces!.recent({ errorsOnly: true });
    assert.deepEqual(errors.map((r) => r.root_name), ['op-3', 'op-1']);
    assert.equal(errors[0]?.spans[0]?.status, 'error');
    assert.equal(errors[0]?.spans[0]?.status_message, 'boom');
    assert.equal(t.traces!.recent({ limit: 1 }).length, 1);
    await t.shutdown();
  });

  it('keeps the error mark and times of a one-span trace when more spans join it later', async () => {
    const t = tracing(10);
    const root = t.tracer.startSpan('GET /slow');
    root.setStatus({ code: SpanStatusCode.ERROR, message: 'HTTP 500' });
    root.end();
    await t.forceFlush();
    const id = root.spanContext().traceId;
    const alone = t.traces!.getTrace(id);
    assert.equal(alone?.span_count, 1);
    assert.equal(alone?.error, true);
    assert.ok(Math.abs(Date.parse(alone!.start_time) - Date.now()) < 5_000);
    assert.ok(alone!.duration_ms >= 0);
    const late = t.tracer.startSpan('cleanup', {}, trace.setSpan(context.active(), root));
    late.end();
    await t.forceFlush();
    const joined = t.traces!.getTrace(id);
    assert.equal(joined?.span_count, 2);
    assert.equal(joined?.error, true);
    assert.deepEqual(t.traces!.recent({ errorsOnly: true }).map((r) => r.trace_id), [id]);
    await t.shutdown();
  });

  it('rejects a nonsensical capacity', () => {
    assert.throws(() => setupTracing({ serviceName: 'x', ringBufferSize: 1.5, registerGlobal: false }), /positive integer/);
  });
});
