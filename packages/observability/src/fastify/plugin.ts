import { context } from '@opentelemetry/api';
import type { FastifyInstance, FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import type { Observability } from '../observability.js';
import { describeError, errorEnvelope } from './errors.js';
import { DependencyWatch } from './dependencies.js';
import { registerJsonBodyParser } from './json-body.js';
import { ReadinessRegistry } from './readiness.js';
import { createRequestLifecycle, requestState } from './request-lifecycle.js';
import { registerOpsRoutes } from './ops-routes.js';
import { createShutdownSweep } from './shutdown-sweep.js';

/** Options of the observability plugin. */
export interface ObservabilityPluginOptions {
  obs: Observability;
  /**
   * Embedded local mode: `/debug/traces` is open. Otherwise it needs `internalApiKey`
   * in the `x-internal-api-key` header, and is closed when no key is configured.
   */
  localMode?: boolean;
  internalApiKey?: string;
  /** Serve /metrics, /health, /ready and /debug/traces. Default true. */
  opsRoutes?: boolean;
  /** Route templates whose successful access lines are written at debug. */
  quietRoutes?: string[];
  /** Per-check readiness timeout. Default 2000 ms. */
  readinessTimeoutMs?: number;
  /** How often the dependencies behind the service are probed. Default: the config's DEPENDENCY_PROBE_INTERVAL_MS. */
  dependencyProbeIntervalMs?: number;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The service's observability (logger, tracer, metrics). */
    obs: Observability;
    /** Readiness checks behind GET /ready: only what the service itself needs to serve. */
    readiness: ReadinessRegistry;
    /** What lies behind the service: probed in the background, shown in /health, never gating /ready. */
    dependencies: DependencyWatch;
  }
}

const DEFAULT_QUIET = ['/health', '/ready', '/metrics'];

function isStream(payload: unknown): boolean {
  return typeof (payload as { pipe?: unknown } | null)?.pipe === 'function';
}

const plugin: FastifyPluginAsync<ObservabilityPluginOptions> = async (app: FastifyInstance, options) => {
  const { obs } = options;
  const lifecycle = createRequestLifecycle(obs, { quietRoutes: new Set(options.quietRoutes ?? DEFAULT_QUIET) });
  const errorsLog = obs.getLogger('http');
  const readiness = new ReadinessRegistry(options.readinessTimeoutMs);
  const dependencies = new DependencyWatch(options.readinessTimeoutMs, options.dependencyProbeIntervalMs ?? obs.config.dependencyProbeIntervalMs);
  app.decorate('obs', obs);
  app.decorate('readiness', readiness);
  app.decorate('dependencies', dependencies);
  obs.metrics.gauge<'dependency'>({
    name: 'dependency_up',
    help: 'Whether the last background probe of a dependency behind this service succeeded (1) or failed (0); absent before the first probe. Dependencies never gate /ready.',
    labelNames: ['dependency'],
    collect() {
      this.reset();
      for (const [name, state] of Object.entries(dependencies.snapshot())) if (state.ok !== null) this.set({ dependency: name }, state.ok ? 1 : 0);
    },
  });
  app.addHook('onReady', async () => dependencies.start());
  registerJsonBodyParser(app);

  app.addHook('onRequest', (request, reply, done) => {
    let state;
    try {
      state = lifecycle.begin(request, reply);
      // Not Fastify's onResponse: it skips hijacked replies and clients that left mid-answer.
      // 'close' always fires, after the last byte or after the client went away.
      reply.raw.once('close', () => lifecycle.finish(request, reply, reply.raw.writableEnded));
    } catch (err) {
      lifecycle.reportTelemetryFailure(err);
      return done();
    }
    context.with(state.ctx, done);
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    const state = requestState(request);
    if (state && state.firstByteAt === undefined) {
      const type = reply.getHeader('content-type');
      if (isStream(payload) || (typeof type === 'string' && type.startsWith('text/event-stream'))) state.firstByteAt = performance.now();
    }
    done(null, payload);
  });

  // A graceful close ends as soon as the last answer is sent: idle keep-alive connections and
  // connections that never sent a byte are closed while in-flight requests finish.
  const sweep = createShutdownSweep(app.server);
  app.addHook('preClose', (done) => {
    readiness.startDraining();
    sweep.start();
    done();
  });

  app.addHook('onClose', async () => {
    sweep.stop();
    dependencies.stop();
    await obs.tracing.forceFlush().catch((err: Error) => lifecycle.reportTelemetryFailure(err));
  });

  app.setErrorHandler((err, request, reply) => {
    const { status, code, message, internal } = describeError(err);
    const traceId = requestState(request)?.span.spanContext().traceId;
    if (internal) errorsLog.error({ err, status_code: status, route: requestState(request)?.route }, 'request_failed');
    else errorsLog.debug({ error_code: code, status_code: status }, 'request_rejected');
    if (status === 429 || status === 503) {
      const retryAfter = (err as { retryAfter?: unknown }).retryAfter;
      if (typeof retryAfter === 'number') reply.header('retry-after', String(Math.ceil(retryAfter)));
    }
    return reply.code(status).send(errorEnvelope(code, message, traceId));
  });

  app.setNotFoundHandler((request, reply) => {
    const traceId = requestState(request)?.span.spanContext().traceId;
    return reply.code(404).send(errorEnvelope('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`, traceId));
  });

  if (options.opsRoutes ?? true) registerOpsRoutes(app, { obs, readiness, dependencies, localMode: options.localMode ?? false, internalApiKey: options.internalApiKey });
};

/**
 * The observability Fastify plugin: request context, trace extraction and echo, one
 * access-log line per request, HTTP metrics, the ops routes and the error envelope. It is
 * wrapped with fastify-plugin so its hooks cover every route of the app.
 */
export const observabilityPlugin = fp(plugin, { fastify: '5.x', name: '@samosachaat/observability' });
