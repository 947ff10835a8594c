import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from './registry.js';
import { createTelemetryLossMetrics } from './telemetry-loss.js';

describe('telemetry loss counters', () => {
  it('start every label combination at 0 and count what they are told', async () => {
    const metrics = createMetrics({ service: 'chat-api', runtime: false });
    const loss = createTelemetryLossMetrics(metrics, { otlp: true });
    let text = (await metrics.render()).body;
    assert.match(text, /^telemetry_log_lines_dropped_total\{sink="file",reason="write_failed",service="chat-api"\} 0$/m);
    assert.match(text, /^telemetry_log_lines_dropped_total\{sink="file",reason="backpressure",service="chat-api"\} 0$/m);
    assert.match(text, /^telemetry_spans_dropped_total\{exporter="otlp",reason="export_failed",service="chat-api"\} 0$/m);
    assert.match(text, /^telemetry_otlp_export_failures_total\{service="chat-api"\} 0$/m);
    loss.logLinesDropped(381, 'file', 'write_failed');
    loss.spansDropped(7, 'otlp', 'export_failed');
    loss.spansDropped(3, 'ring_buffer', 'queue_full');
    text = (await metrics.render()).body;
    assert.match(text, /^telemetry_log_lines_dropped_total\{sink="file",reason="write_failed",service="chat-api"\} 381$/m);
    assert.match(text, /^telemetry_spans_dropped_total\{exporter="otlp",reason="export_failed",service="chat-api"\} 7$/m);
    assert.match(text, /^telemetry_spans_dropped_total\{exporter="ring_buffer",reason="queue_full",service="chat-api"\} 3$/m);
    assert.match(text, /^telemetry_otlp_export_failures_total\{service="chat-api"\} 1$/m);
  });

  it('leaves out the OTLP series when no collector is configured', async () => {
    const metrics = createMetrics({ service: 'web', runtime: false });
    createTelemetryLossMetrics(metrics, { otlp: false });
    const text = (await metrics.render()).body;
    assert.doesNotMatch(text, /exporter="otlp"/);
    assert.doesNotMatch(text, /^telemetry_otlp_export_failures_total\{/m);
    assert.match(text, /exporter="ring_buffer",reason="trace_span_limit"/);
  });
});
