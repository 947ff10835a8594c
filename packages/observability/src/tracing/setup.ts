import { diag, DiagLogLevel, propagation, trace, type Tracer, type DiagLogger } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import { BasicTracerProvider, BatchSpanProcessor, type SpanProcessor } from '@opentelemetry/sdk-trace-base';
import { ensureContextManager } from '../context/request-context.js';
import { SeededIdGenerator } from './id-generator.js';
import { RingBufferSpanExporter } from './ring-buffer-exporter.js';

/** Options of {@link setupTracing}. */
export interface TracingOptions {
  /** `service.name` of every span (OTEL_SERVICE_NAME wins when set). */
  serviceName: string;
  serviceVersion?: string;
  environment?: string;
  /** Traces kept in memory. Default 10,000. 0 turns the ring buffer off. */
  ringBufferSize?: number;
  /** OTLP/HTTP endpoint (OTEL_EXPORTER_OTLP_ENDPOINT); spans go there too when set. */
  otlpEndpoint?: string;
  /** Register as the process's global tracer provider and propagator. Default true. */
  registerGlobal?: boolean;
  /** Where the SDK's own warnings go (e.g. dropped spans); rate-limit it. */
  diagLogger?: DiagLogger;
  /** Batch delay for the ring buffer; short so `/debug/traces` is fresh. Default 200 ms. */
  ringBufferDelayMs?: number;
}

/** What {@link setupTracing} built. */
export interface TracingHandle {
  tracer: Tracer;
  provider: BasicTracerProvider;
  /** The in-memory trace store, or undefined when turned off. */
  traces: RingBufferSpanExporter | undefined;
  idGenerator: SeededIdGenerator;
  /** Exports every queued span now (the debug API calls it before reading). */
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
}

/**
 * Sets up the OpenTelemetry SDK in one call: AsyncLocalStorage context, W3C propagation,
 * the standard `OTEL_*` sampler variables, a ring buffer of recent traces and OTLP/HTTP
 * export when an endpoint is configured. Every exporter sits behind a BatchSpanProcessor:
 * nothing exports synchronously on the request path.
 */
export function setupTracing(options: TracingOptions): TracingHandle {
  ensureContextManager();
  const idGenerator = new SeededIdGenerator();
  const processors: SpanProcessor[] = [];
  const serviceName = process.env.OTEL_SERVICE_NAME || options.serviceName;
  const size = options.ringBufferSize ?? 10_000;
  const traces = size > 0 ? new RingBufferSpanExporter(serviceName, size) : undefined;
  if (traces) {
    processors.push(
      new BatchSpanProcessor(traces, {
        scheduledDelayMillis: options.ringBufferDelayMs ?? 200,
        maxExportBatchSize: 1024,
        // Deep enough for bursts of tens of thousands of requests a second between flushes.
        maxQueueSize: 32_768,
      }),
    );
  }
  if (options.otlpEndpoint) {
    const url = options.otlpEndpoint.replace(/\/+$/, '');
    // The generic endpoint variable names the collector root; the traces path is appended.
    const exporter = new OTLPTraceExporter({ url: url.endsWith('/v1/traces') ? url : `${url}/v1/traces` });
    processors.push(new BatchSpanProcessor(exporter));
  }
  if (options.diagLogger) diag.setLogger(options.diagLogger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });

  const attributes: Record<string, string> = { 'service.name': serviceName };
  if (options.serviceVersion) attributes['service.version'] = options.serviceVersion;
  if (options.environment) attributes['deployment.environment.name'] = options.environment;
  const provider = new BasicTracerProvider({
    resource: resourceFromAttributes(attributes),
    idGenerator,
    spanProcessors: processors,
  });
  if (options.registerGlobal ?? true) {
    trace.setGlobalTracerProvider(provider);
    // For third-party instrumentation; this package's own outbound helper writes the
    // headers itself so it never depends on which copy of the API won the global slot.
    propagation.setGlobalPropagator(new W3CTraceContextPropagator());
  }
  return {
    tracer: provider.getTracer('@samosachaat/observability'),
    provider,
    traces,
    idGenerator,
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}
