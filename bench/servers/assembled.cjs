'use strict';
/**
 * "Assembled alternative" arm: what people wire up by hand instead of a built-in layer.
 *
 * - OpenTelemetry NodeSDK + getNodeAutoInstrumentations() with its defaults (http, net, dns,
 *   undici, pino, … active; fs off), 100% sampling (AlwaysOnSampler), spans through a
 *   BatchSpanProcessor (same settings as the package's ring buffer) into a bounded in-memory
 *   sink of 10,000 spans. No exporter leaves the process: metrics/logs exporters are "none".
 *   Note: auto-instrumentations-node 0.81.2 no longer ships a Fastify instrumentation (it was
 *   removed in favour of @fastify/otel, which is not installed), so only the http SERVER span
 *   is created; an onRequest hook names it after the route, as people do by hand.
 * - pino-http request logging to stdout (pino, asynchronous SonicBoom like the package).
 * - A prom-client middleware: onRequest/onResponse hooks observing a histogram and a counter
 *   with method/route/status labels, plus the default runtime metrics and a /metrics route.
 *
 * CommonJS on purpose: auto-instrumentation patches modules through require hooks, so the SDK
 * starts before fastify is required. Started by bench/run.ts; see ./common.cjs for the IPC.
 */

process.env.OTEL_METRICS_EXPORTER = 'none';
process.env.OTEL_LOGS_EXPORTER = 'none';
process.env.OTEL_TRACES_EXPORTER = 'none';

const { NodeSDK, tracing } = require('@opentelemetry/sdk-node');
const { getNodeAutoInstrumentations } = require('@opentelemetry/auto-instrumentations-node');

/** Keeps the most recent `capacity` spans in memory, like a ring buffer (no unbounded growth). */
class BoundedMemorySpanExporter {
  constructor(capacity) {
    this.capacity = capacity;
    this.spans = new Array(capacity);
    this.next = 0;
    this.total = 0;
  }

  export(spans, resultCallback) {
    for (const span of spans) {
      this.spans[this.next] = span;
      this.next = (this.next + 1) % this.capacity;
      this.total++;
    }
    resultCallback({ code: 0 });
  }

  shutdown() {
    return Promise.resolve();
  }

  forceFlush() {
    return Promise.resolve();
  }
}

const spanSink = new BoundedMemorySpanExporter(10_000);
const sdk = new NodeSDK({
  serviceName: 'bench',
  sampler: new tracing.AlwaysOnSampler(),
  spanProcessors: [
    new tracing.BatchSpanProcessor(spanSink, {
      scheduledDelayMillis: 200,
      maxExportBatchSize: 1024,
      maxQueueSize: 32_768,
    }),
  ],
  metricReaders: [],
  instrumentations: [getNodeAutoInstrumentations()],
});
sdk.start();

// Only now: these must load through the instrumentation's require hooks.
const { trace } = require('@opentelemetry/api');
const Fastify = require('fastify');
const pino = require('pino');
const pinoHttp = require('pino-http');
const promClient = require('prom-client');
const { announceFailure, bindToParent, listenAndAnnounce, registerRoutes, repeatFromEnv } = require('./common.cjs');

async function main() {
  bindToParent();
  const repeat = repeatFromEnv();

  const logger = pino({ base: { service: 'bench' } }, pino.destination({ dest: 1, sync: false }));
  const httpLogger = pinoHttp({ logger });

  const register = new promClient.Registry();
  register.setDefaultLabels({ service: 'bench' });
  promClient.collectDefaultMetrics({ register });
  const labelNames = ['method', 'route', 'status'];
  const duration = new promClient.Histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [register],
  });
  const requests = new promClient.Counter({
    name: 'http_requests_total',
    help: 'HTTP requests completed.',
    labelNames,
    registers: [register],
  });
  const kStart = Symbol('bench.start');

  const app = Fastify({ logger: false });
  app.addHook('onRequest', (request, reply, done) => {
    request[kStart] = performance.now();
    const route = request.routeOptions.url ?? 'unmatched';
    const span = trace.getActiveSpan();
    if (span) {
      span.setAttribute('http.route', route);
      span.updateName(`${request.method} ${route}`);
    }
    httpLogger(request.raw, reply.raw);
    done();
  });
  app.addHook('onResponse', (request, reply, done) => {
    const labels = { method: request.method, route: request.routeOptions.url ?? 'unmatched', status: String(reply.statusCode) };
    duration.observe(labels, (performance.now() - request[kStart]) / 1000);
    requests.inc(labels);
    done();
  });
  app.get('/metrics', async (_request, reply) => {
    reply.header('content-type', register.contentType);
    return register.metrics();
  });
  // For checking that spans are produced (never hit during measurements).
  app.get('/debug/spans', async () => ({ exported: spanSink.total }));
  registerRoutes(app, repeat);

  await listenAndAnnounce(app, repeat);
}

main().catch(announceFailure);
