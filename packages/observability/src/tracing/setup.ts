import { diag, DiagLogLevel, propagation, trace, type Tracer, type DiagLogger } from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { resourceFromAttributes } from '@opentelemetry/resources';
import {
  AlwaysOffSampler,
  AlwaysOnSampler,
  BasicTracerProvider,
  BatchSpanProcessor,
  ParentBasedSampler,
  TraceIdRatioBasedSampler,
  type Sampler,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { ensureContextManager } from '../context/request-context.js';
import { PooledIdGenerator } from './id-generator.js';
import { RequestSpanFactory } from './request-span.js';
import { RingBufferSpanExporter } from './ring-buffer-exporter.js';
import { LossCountingExporter, queueDropMeterProvider, type SpanLossListener } from './span-loss.js';
import { TraceContextPropagator } from './propagator.js';

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
  /**
   * Told of every span lost on the way to an exporter (`ring_buffer` or `otlp`): a full batch
   * queue, a failed export, or the ring buffer's per-trace span limit.
   */
  onSpansLost?: SpanLossListener;
}

/** What {@link setupTracing} built. */
export interface TracingHandle {
  tracer: Tracer;
  provider: BasicTracerProvider;
  /** The in-memory trace store, or undefined when turned off. */
  traces: RingBufferSpanExporter | undefined;
  /** Starts the SERVER span of each inbound request (same sampler, resource and processors). */
  requestSpans: RequestSpanFactory;
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
  const idGenerator = new PooledIdGenerator();
  const processors: SpanProcessor[] = [];
  const serviceName = process.env.OTEL_SERVICE_NAME || options.serviceName;
  const size = options.ringBufferSize ?? 10_000;
  const onLoss: SpanLossListener = options.onSpansLost ?? (() => {});
  const traces = size > 0 ? new RingBufferSpanExporter(serviceName, size, undefined, () => onLoss(1, 'ring_buffer', 'trace_span_limit')) : undefined;
  if (traces) {
    processors.push(
      new BatchSpanProcessor(traces, {
        scheduledDelayMillis: options.ringBufferDelayMs ?? 200,
        maxExportBatchSize: 1024,
        // Deep enough for bursts of tens of thousands of requests a second between flushes.
        maxQueueSize: 32_768,
        selfObsMeterProvider: queueDropMeterProvider('ring_buffer', onLoss),
      } as ConstructorParameters<typeof BatchSpanProcessor>[1]),
    );
  }
  if (options.otlpEndpoint) {
    const url = options.otlpEndpoint.replace(/\/+$/, '');
    // The generic endpoint variable names the collector root; the traces path is appended.
    const exporter = new OTLPTraceExporter({ url: url.endsWith('/v1/traces') ? url : `${url}/v1/traces` });
    processors.push(
      new BatchSpanProcessor(new LossCountingExporter(exporter, 'otlp', onLoss), {
        selfObsMeterProvider: queueDropMeterProvider('otlp', onLoss),
      } as ConstructorParameters<typeof BatchSpanProcessor>[1]),
    );
  }
  if (options.diagLogger) diag.setLogger(options.diagLogger, { logLevel: DiagLogLevel.WARN, suppressOverrideMessage: true });
  const sampler = samplerFromEnv(process.env);

  const attributes: Record<string, string> = { 'service.name': serviceName };
  if (options.serviceVersion) attributes['service.version'] = options.serviceVersion;
  if (options.environment) attributes['deployment.environment.name'] = options.environment;
  const resource = resourceFromAttributes(attributes);
  const provider = new BasicTracerProvider({
    resource,
    sampler,
    idGenerator,
    spanProcessors: processors,
  });
  if (options.registerGlobal ?? true) {
    trace.setGlobalTracerProvider(provider);
    // For third-party instrumentation; this package's own outbound helper writes the
    // headers itself so it never depends on which copy of the API won the global slot.
    propagation.setGlobalPropagator(new TraceContextPropagator());
  }
  const scope = { name: '@samosachaat/observability' };
  return {
    tracer: provider.getTracer(scope.name),
    provider,
    traces,
    requestSpans: new RequestSpanFactory(resource, scope, sampler, idGenerator, processors),
    forceFlush: () => provider.forceFlush(),
    shutdown: () => provider.shutdown(),
  };
}

const SAMPLERS = ['always_on', 'always_off', 'traceidratio', 'parentbased_always_on', 'parentbased_always_off', 'parentbased_traceidratio'];

/**
 * The sampler the standard `OTEL_TRACES_SAMPLER` / `OTEL_TRACES_SAMPLER_ARG` variables name
 * (default `parentbased_always_on`), built once and shared by the SDK tracer and the request
 * spans so both decide alike.
 */
export function samplerFromEnv(env: NodeJS.ProcessEnv): Sampler {
  let name = (env.OTEL_TRACES_SAMPLER ?? '').trim().toLowerCase() || 'parentbased_always_on';
  if (!SAMPLERS.includes(name)) {
    diag.error(`OTEL_TRACES_SAMPLER "${name}" is not one of ${SAMPLERS.join(', ')}; using parentbased_always_on`);
    name = 'parentbased_always_on';
  }
  const ratio = (): Sampler => {
    const raw = env.OTEL_TRACES_SAMPLER_ARG;
    const value = raw === undefined || raw.trim() === '' ? 1 : Number(raw);
    if (!Number.isFinite(value) || value < 0 || value > 1) {
      diag.error(`OTEL_TRACES_SAMPLER_ARG "${raw}" is not a ratio between 0 and 1; using 1`);
      return new TraceIdRatioBasedSampler(1);
    }
    return new TraceIdRatioBasedSampler(value);
  };
  switch (name) {
    case 'always_on':
      return new AlwaysOnSampler();
    case 'always_off':
      return new AlwaysOffSampler();
    case 'traceidratio':
      return ratio();
    case 'parentbased_always_off':
      return new ParentBasedSampler({ root: new AlwaysOffSampler() });
    case 'parentbased_traceidratio':
      return new ParentBasedSampler({ root: ratio() });
    default:
      return new ParentBasedSampler({ root: new AlwaysOnSampler() });
  }
}
