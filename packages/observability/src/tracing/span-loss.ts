import { createNoopMeter, type Attributes, type Counter, type Meter, type MeterProvider, type MetricOptions } from '@opentelemetry/api';
import { ExportResultCode, type ExportResult } from '@opentelemetry/core';
import type { ReadableSpan, SpanExporter } from '@opentelemetry/sdk-trace-base';

/** Why spans never reached an exporter's destination. */
export type SpanLossReason = 'queue_full' | 'export_failed' | 'trace_span_limit';

/** Told of every span lost, with the exporter it was meant for. */
export type SpanLossListener = (spans: number, exporter: string, reason: SpanLossReason) => void;

// The SDK's batch processor (@opentelemetry/sdk-trace 2.x, BatchSpanProcessorBase) reports
// a span it drops because its queue is full on this self-observability counter, with
// `error.type` = `queue_full` (OpenTelemetry semantic conventions for SDK metrics). Export
// failures are counted by the wrapping exporter below instead: the processor's own count
// misses a failure without an error object and an export that times out.
const PROCESSED_SPANS = 'otel.sdk.processor.span.processed';

/**
 * A MeterProvider for a BatchSpanProcessor's `selfObsMeterProvider` option whose only live
 * instrument is the processed-spans counter, turned into `onLoss(n, exporter, 'queue_full')`.
 * Every other instrument is OpenTelemetry's no-op.
 */
export function queueDropMeterProvider(exporter: string, onLoss: SpanLossListener): MeterProvider {
  const noop = createNoopMeter();
  const meter: Meter = Object.create(noop) as Meter;
  meter.createCounter = <A extends Attributes>(name: string, options?: MetricOptions): Counter<A> => {
    if (name !== PROCESSED_SPANS) return noop.createCounter<A>(name, options);
    return {
      add(value: number, attributes?: A) {
        if (attributes?.['error.type'] === 'queue_full' && value > 0) onLoss(value, exporter, 'queue_full');
      },
    };
  };
  return { getMeter: () => meter };
}

/**
 * Wraps an exporter so that every batch it fails to deliver (a dead collector, a refused
 * request, a shut-down exporter) is reported as lost spans. Results pass through unchanged.
 */
export class LossCountingExporter implements SpanExporter {
  constructor(
    private readonly inner: SpanExporter,
    private readonly name: string,
    private readonly onLoss: SpanLossListener,
  ) {}

  export(spans: ReadableSpan[], resultCallback: (result: ExportResult) => void): void {
    this.inner.export(spans, (result) => {
      if (result.code !== ExportResultCode.SUCCESS) this.onLoss(spans.length, this.name, 'export_failed');
      resultCallback(result);
    });
  }

  shutdown(): Promise<void> {
    return this.inner.shutdown();
  }

  forceFlush(): Promise<void> {
    return this.inner.forceFlush?.() ?? Promise.resolve();
  }
}
