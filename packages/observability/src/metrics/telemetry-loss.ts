import type { SpanLossReason } from '../tracing/span-loss.js';
import type { Metrics } from './registry.js';

/** Why a log line never reached a sink. */
export type LogLossReason = 'write_failed' | 'backpressure';

/**
 * The counters that watch the telemetry itself: log lines and spans that were produced but
 * never reached their destination, and failed OTLP exports. Every label combination starts
 * at 0, so `rate()` and `increase()` see the first loss and an alert can say "no loss".
 */
export interface TelemetryLossMetrics {
  logLinesDropped(lines: number, sink: 'file', reason: LogLossReason): void;
  spansDropped(spans: number, exporter: string, reason: SpanLossReason): void;
}

const LOG_SINKS = ['file'] as const;
const LOG_REASONS: readonly LogLossReason[] = ['write_failed', 'backpressure'];
const SPAN_LOSSES: readonly (readonly [string, SpanLossReason])[] = [
  ['ring_buffer', 'queue_full'],
  ['ring_buffer', 'trace_span_limit'],
  ['otlp', 'queue_full'],
  ['otlp', 'export_failed'],
];

/** Registers the telemetry-loss counters on `metrics` (see docs/metrics.md, "Telemetry loss"). */
export function createTelemetryLossMetrics(metrics: Metrics, options: { otlp?: boolean; ringBuffer?: boolean } = {}): TelemetryLossMetrics {
  const lines = metrics.counter<'sink' | 'reason'>({
    name: 'telemetry_log_lines_dropped_total',
    help: 'Log lines written by the service that never reached a sink, by sink and reason (write_failed: the file could not be opened or written, e.g. a full disk; backpressure: the disk fell too far behind).',
    labelNames: ['sink', 'reason'],
  });
  const spans = metrics.counter<'exporter' | 'reason'>({
    name: 'telemetry_spans_dropped_total',
    help: 'Finished spans that never reached an exporter\'s destination, by exporter (ring_buffer, otlp) and reason (queue_full, export_failed, trace_span_limit).',
    labelNames: ['exporter', 'reason'],
  });
  // Without a collector there is nothing to fail: the family is left out rather than shown at 0.
  const exportFailures =
    options.otlp === false
      ? undefined
      : metrics.counter({
          name: 'telemetry_otlp_export_failures_total',
          help: 'OTLP/HTTP span exports (batches) that failed: the collector was unreachable, refused the batch or timed out.',
        });
  for (const sink of LOG_SINKS) for (const reason of LOG_REASONS) lines.inc({ sink, reason }, 0);
  for (const [exporter, reason] of SPAN_LOSSES) {
    if (exporter === 'otlp' && options.otlp === false) continue;
    if (exporter === 'ring_buffer' && options.ringBuffer === false) continue;
    spans.inc({ exporter, reason }, 0);
  }
  return {
    logLinesDropped: (n, sink, reason) => lines.inc({ sink, reason }, n),
    spansDropped: (n, exporter, reason) => {
      spans.inc({ exporter, reason }, n);
      // The exporter wrapper reports one failed batch per call.
      if (exporter === 'otlp' && reason === 'export_failed') exportFailures?.inc();
    },
  };
}
