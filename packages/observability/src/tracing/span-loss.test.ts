import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { context, trace } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import { BasicTracerProvider, BatchSpanProcessor, type ReadableSpan, type SpanExporter } from '@opentelemetry/sdk-trace-base';
import { LossCountingExporter, queueDropMeterProvider, type SpanLossReason } from './span-loss.js';
import { RingBufferSpanExporter } from './ring-buffer-exporter.js';

function recorder(): { lost: Record<string, number>; onLoss: (n: number, exporter: string, reason: SpanLossReason) => void } {
  const lost: Record<string, number> = {};
  return { lost, onLoss: (n, exporter, reason) => (lost[`${exporter}/${reason}`] = (lost[`${exporter}/${reason}`] ?? 0) + n) };
}

/** An exporter that holds every batch until released, then answers with `code`. */
class HeldExporter implements SpanExporter {
  exported = 0;
  private held: (() => void)[] = [];
  constructor(private readonly code: ExportResultCode) {}
  export(spans: ReadableSpan[], cb: (result: ExportResult) => void): void {
    this.held.push(() => {
      this.exported += spans.length;
      cb({ code: this.code });
    });
  }
  release(): void {
    for (const done of this.held.splice(0)) done();
  }
  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}

describe('span loss', () => {
  it('counts spans a full batch queue drops, through the SDK processor itself', async () => {
    const rec = recorder();
    const exporter = new HeldExporter(ExportResultCode.SUCCESS);
    const processor = new BatchSpanProcessor(new LossCountingExporter(exporter, 'otlp', rec.onLoss), {
      maxQueueSize: 10,
      maxExportBatchSize: 10,
      scheduledDelayMillis: 60_000,
      selfObsMeterProvider: queueDropMeterProvider('otlp', rec.onLoss),
    } as ConstructorParameters<typeof BatchSpanProcessor>[1]);
    const provider = new BasicTracerProvider({ spanProcessors: [processor] });
    const tracer = provider.getTracer('t');
    // A full batch (10) goes to the exporter at once and is held there; 10 more wait in the
    // queue; the other 5 have no room.
    for (let i = 0; i < 25; i++) tracer.startSpan(`s${i}`).end();
    assert.deepEqual(rec.lost, { 'otlp/queue_full': 5 });
    exporter.release();
    const flushed = provider.forceFlush();
    await new Promise((r) => setImmediate(r));
    exporter.release();
    await flushed;
    assert.equal(exporter.exported, 20);
    assert.deepEqual(rec.lost, { 'otlp/queue_full': 5 });
  });

  it('counts every span of a batch whose export failed, and passes the result on', async () => {
    const rec = recorder();
    const failing = new HeldExporter(ExportResultCode.FAILED);
    const wrapped = new LossCountingExporter(failing, 'otlp', rec.onLoss);
    const provider = new BasicTracerProvider({ spanProcessors: [new BatchSpanProcessor(wrapped, { scheduledDelayMillis: 60_000 })] });
    const tracer = provider.getTracer('t');
    for (let i = 0; i < 7; i++) tracer.startSpan(`s${i}`).end();
    const flushed = provider.forceFlush();
    failing.release();
    await flushed.catch(() => undefined);
    assert.deepEqual(rec.lost, { 'otlp/export_failed': 7 });
    const results: ExportResult[] = [];
    wrapped.export([], (r) => results.push(r));
    failing.release();
    assert.equal(results[0]?.code, ExportResultCode.FAILED);
  });

  it('counts spans past the ring buffer\'s per-trace limit', () => {
    let lost = 0;
    const ring = new RingBufferSpanExporter('svc', 10, 3, () => lost++);
    const provider = new BasicTracerProvider({ spanProcessors: [] });
    const tracer = provider.getTracer('t');
    const root = tracer.startSpan('root');
    const spans: ReadableSpan[] = [root as unknown as ReadableSpan];
    const parent = trace.setSpan(context.active(), root);
    for (let i = 0; i < 4; i++) {
      const child = tracer.startSpan(`c${i}`, {}, parent);
      child.end();
      spans.push(child as unknown as ReadableSpan);
    }
    root.end();
    ring.export(spans, () => {});
    assert.equal(lost, 2);
    assert.equal(ring.recent({ limit: 1 })[0]?.dropped_spans, 2);
  });
});
