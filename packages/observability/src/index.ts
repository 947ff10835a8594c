/**
 * @samosachaat/observability — the one place that configures pino, prom-client and
 * OpenTelemetry for every samosaChaat service: logs, traces, metrics and their Fastify hooks.
 * Configuration, errors, readiness, shutdown and the doctor are @samosachaat/service-kit's.
 */

// The per-service bundle
export { createObservability } from './observability.js';
export type { Observability, ObservabilityConfig, ObservabilityOverrides } from './observability.js';

// Request context (one AsyncLocalStorage, OpenTelemetry's)
export { bindContext, currentTraceId, ensureContextManager, getContextFields, inCurrentContext, runWithContext } from './context/request-context.js';

// Logging
export { createLogger } from './logging/logger.js';
export type { LogFn, Logger, LoggerHandle, LoggerOptions } from './logging/logger.js';
export { LOG_LEVELS, isLogLevel } from './logging/levels.js';
export type { LogLevel } from './logging/levels.js';
export { createRateLimitedLogger } from './logging/rate-limited.js';
export type { RateLimitedLogger, RateLimitOptions } from './logging/rate-limited.js';
export { REDACTED, redactFields, redactSecretShapes } from './logging/redact.js';
export { redactedExcerpt, sanitizeHeaderValue } from './logging/sanitize.js';
export { createDailyFileStream } from './logging/daily-file-stream.js';
export type { DailyFileStream, DailyFileStreamOptions } from './logging/daily-file-stream.js';

// Tracing
export { setupTracing } from './tracing/setup.js';
export type { TracingHandle, TracingOptions } from './tracing/setup.js';
export { formatTraceparent, normaliseTraceId, readInboundTrace, TRACE_FLAG_RANDOM } from './tracing/inbound.js';
export { MAX_TRACESTATE_LENGTH, MAX_TRACESTATE_MEMBERS, W3cTraceState } from './tracing/trace-state.js';
export type { InboundTrace, TraceSource } from './tracing/inbound.js';
export { createTracedFetch, traceHeaders } from './tracing/outbound.js';
export type { TracedFetch, TracedFetchOptions } from './tracing/outbound.js';
export { RingBufferSpanExporter } from './tracing/ring-buffer-exporter.js';
export type { RecentTracesQuery, SpanRecord, TraceRecord } from './tracing/ring-buffer-exporter.js';
export { startGenerationSpan } from './tracing/generation-span.js';
export { ASSETS_PREFIX, HOUSEKEEPING_ROUTES, isHousekeepingRoute, isHousekeepingTrace, OPS_API_PREFIX } from './tracing/housekeeping.js';
export type { GenerationEnd, GenerationOutcome, GenerationSpan, GenerationStart } from './tracing/generation-span.js';

// Metrics
export { createMetrics, wantsOpenMetrics } from './metrics/registry.js';
export type { Metrics, MetricsOptions, RenderedMetrics } from './metrics/registry.js';
export { createHttpMetrics, HTTP_DURATION_BUCKETS, HTTP_STREAM_BUCKETS, UNMATCHED_ROUTE } from './metrics/http-metrics.js';
export type { HttpMetrics } from './metrics/http-metrics.js';
export { describeMetrics, metricsMarkdownTable } from './metrics/describe.js';
export { createTelemetryLossMetrics } from './metrics/telemetry-loss.js';
export type { LogLossReason, TelemetryLossMetrics } from './metrics/telemetry-loss.js';
export type { SpanLossListener, SpanLossReason } from './tracing/span-loss.js';
export type { MetricDescription } from './metrics/describe.js';

// Fastify
export { observabilityPlugin, requestRoute, requestTraceId } from './fastify/plugin.js';
export type { ObservabilityPluginOptions } from './fastify/plugin.js';
export { markFirstByte, nameRequestSpan, SPAN_NAME_HEADER } from './fastify/request-lifecycle.js';
