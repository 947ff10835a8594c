import type { DiagLogger, Tracer } from '@opentelemetry/api';
import type { DestinationStream } from 'pino';
import type { LogLevel } from './logging/levels.js';
import { createLogger, type LineWriter, type Logger } from './logging/logger.js';
import { createRateLimitedLogger, type RateLimitedLogger } from './logging/rate-limited.js';
import { createHttpMetrics, type HttpMetrics } from './metrics/http-metrics.js';
import { createMetrics, type Metrics } from './metrics/registry.js';
import { createTelemetryLossMetrics } from './metrics/telemetry-loss.js';
import { startGenerationSpan, type GenerationSpan, type GenerationStart } from './tracing/generation-span.js';
import { createTracedFetch, type TracedFetch } from './tracing/outbound.js';
import type { RingBufferSpanExporter } from './tracing/ring-buffer-exporter.js';
import { setupTracing, type TracingHandle } from './tracing/setup.js';

/** Observability settings of one service, validated and frozen. */
export interface ObservabilityConfig {
  readonly service: string;
  readonly version: string | undefined;
  readonly environment: string | undefined;
  readonly logLevel: LogLevel;
  readonly logFormat: 'json' | 'pretty';
  readonly logDir: string | undefined;
  readonly logRetentionDays: number;
  readonly metricsEnabled: boolean;
  readonly otlpEndpoint: string | undefined;
  readonly traceBufferSize: number;
  /** DEPENDENCY_PROBE_INTERVAL_MS: how often what lies behind the service is probed (/health). */
  readonly dependencyProbeIntervalMs: number;
}

// The SDK hands over exceptions as JSON strings; keep the message and code, drop the noise.
function diagFields(message: string): Record<string, unknown> {
  if (message.startsWith('{')) {
    try {
      const parsed = JSON.parse(message) as { message?: unknown; code?: unknown; name?: unknown };
      if (typeof parsed.message === 'string') return { error: parsed.message, error_type: parsed.name, error_code: parsed.code };
    } catch {
      // not JSON after all
    }
  }
  return { error: message };
}

/** Extra knobs of {@link createObservability}, mostly for tests and benchmarks. */
export interface ObservabilityOverrides {
  /** Where JSON log lines go instead of stdout. */
  logDestination?: DestinationStream;
  /** Register the tracer provider globally. Default true. */
  registerGlobalTracer?: boolean;
  /** Node runtime metrics. Default true. */
  runtimeMetrics?: boolean;
  /** Clock for file rotation. */
  now?: () => number;
}

/** Everything a service needs to be observable, built once at start. */
export interface Observability {
  readonly config: ObservabilityConfig;
  readonly logger: Logger;
  /** A module's logger (`logger` field). */
  getLogger(name: string): Logger;
  /** A pre-encoded line writer for a module's hot path (see `LoggerHandle.lineWriter`). */
  lineWriter(name: string, reserved: readonly string[]): LineWriter;
  /** A module's rate-limited logger (one line per second per message). */
  rateLimited(name: string): RateLimitedLogger;
  readonly tracer: Tracer;
  readonly tracing: TracingHandle;
  /** The in-memory store of recent traces (undefined when TRACE_BUFFER_SIZE=0). */
  readonly traces: RingBufferSpanExporter | undefined;
  readonly metrics: Metrics;
  readonly http: HttpMetrics;
  /** fetch that carries the trace to the callee inside a CLIENT span. */
  readonly fetch: TracedFetch;
  /** One span for a streamed generation (first token, token counts, outcome). */
  startGeneration(start: GenerationStart): GenerationSpan;
  /** Flushes spans and logs, stops exporters. */
  shutdown(): Promise<void>;
}

/**
 * Builds a service's logger, tracer and metrics from its validated configuration. Services
 * call this once and never configure pino, prom-client or OpenTelemetry themselves.
 */
export function createObservability(config: ObservabilityConfig, overrides: ObservabilityOverrides = {}): Observability {
  const limiterCache = new Map<string, RateLimitedLogger>();
  // Metrics first: the log file and the span exporters count what they lose from the start.
  const metrics = createMetrics({ service: config.service, enabled: config.metricsEnabled, runtime: overrides.runtimeMetrics });
  const loss = createTelemetryLossMetrics(metrics, { otlp: config.otlpEndpoint !== undefined, ringBuffer: config.traceBufferSize > 0 });
  let logLinesLost = 0;
  const logs = createLogger({
    service: config.service,
    level: config.logLevel,
    format: config.logFormat,
    environment: config.environment,
    version: config.version,
    logDir: config.logDir,
    retentionDays: config.logRetentionDays,
    destination: overrides.logDestination,
    now: overrides.now,
    // Deferred: the sink may fail while the logger itself is still being built.
    onSinkError: (err) => queueMicrotask(() => limiters('logging').error('log_file_write_failed', { error: err.message, error_type: err.name, lines_dropped_total: logLinesLost })),
    onSinkDropped: (lines, reason) => {
      logLinesLost += lines;
      loss.logLinesDropped(lines, 'file', reason);
    },
  });
  function limiters(name: string): RateLimitedLogger {
    let limiter = limiterCache.get(name);
    if (!limiter) {
      limiter = createRateLimitedLogger(logs.getLogger(name));
      limiterCache.set(name, limiter);
    }
    return limiter;
  }
  // The SDK reports dropped spans and export failures here; rate-limited so a dead collector
  // cannot flood the logs.
  const diagLogger: DiagLogger = {
    error: (message) => limiters('otel').error('otel_sdk_error', diagFields(message)),
    warn: (message) => limiters('otel').warning('otel_sdk_warning', diagFields(message)),
    info: () => {},
    debug: () => {},
    verbose: () => {},
  };
  const tracing = setupTracing({
    serviceName: config.service,
    serviceVersion: config.version,
    environment: config.environment,
    ringBufferSize: config.traceBufferSize,
    otlpEndpoint: config.otlpEndpoint,
    registerGlobal: overrides.registerGlobalTracer,
    diagLogger,
    onSpansLost: loss.spansDropped,
  });

  return {
    config,
    logger: logs.logger,
    getLogger: logs.getLogger,
    lineWriter: logs.lineWriter,
    rateLimited: limiters,
    tracer: tracing.tracer,
    tracing,
    traces: tracing.traces,
    metrics,
    http: createHttpMetrics(metrics),
    fetch: createTracedFetch(tracing.tracer),
    startGeneration: (start) => startGenerationSpan(tracing.tracer, start),
    async shutdown() {
      await tracing.shutdown().catch(() => undefined);
      await logs.close();
    },
  };
}
