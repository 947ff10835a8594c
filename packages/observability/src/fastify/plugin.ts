import { context } from '@opentelemetry/api';
import type { ServerResponse } from 'node:http';
// The module's binding, not the global: `globalThis.performance` is a getter, run on every read.
import { performance } from 'node:perf_hooks';
import type { FastifyInstance, FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import type { Observability } from '../observability.js';
import { createRequestLifecycle, requestState } from './request-lifecycle.js';

/** Options of the observability plugin. */
export interface ObservabilityPluginOptions {
  obs: Observability;
  /** Route templates whose successful access lines are written at debug. */
  quietRoutes?: string[];
}

declare module 'fastify' {
  interface FastifyInstance {
    /** The service's observability (logger, tracer, metrics). */
    obs: Observability;
  }
}

const kReply = Symbol('samosachaat.reply');
type RawWithReply = ServerResponse & { [kReply]?: FastifyReply };

const DEFAULT_QUIET = ['/health', '/ready', '/metrics'];

function isStream(payload: unknown): boolean {
  return typeof (payload as { pipe?: unknown } | null)?.pipe === 'function';
}

/** The trace id of a request the observability plugin saw start (for error envelopes). */
export function requestTraceId(request: FastifyRequest): string | undefined {
  return requestState(request)?.span.spanContext().traceId;
}

/** The route template a request matched, as its access line and metrics name it. */
export function requestRoute(request: FastifyRequest): string | undefined {
  return requestState(request)?.route;
}

const plugin: FastifyPluginAsync<ObservabilityPluginOptions> = async (app: FastifyInstance, options) => {
  const { obs } = options;
  const lifecycle = createRequestLifecycle(obs, { quietRoutes: new Set(options.quietRoutes ?? DEFAULT_QUIET) });
  app.decorate('obs', obs);

  // One listener for every response, not a closure (and a once-wrapper) per request: the
  // response points back at its reply.
  function onResponseClose(this: RawWithReply): void {
    const reply = this[kReply];
    if (reply !== undefined) lifecycle.finish(reply.request, reply, this.writableEnded);
  }

  app.addHook('onRequest', (request, reply, done) => {
    let state;
    try {
      state = lifecycle.begin(request, reply);
      // Not Fastify's onResponse: it skips hijacked replies and clients that left mid-answer.
      // 'close' always fires (once), after the last byte or after the client went away.
      const raw = reply.raw as RawWithReply;
      raw[kReply] = reply;
      raw.on('close', onResponseClose);
    } catch (err) {
      lifecycle.reportTelemetryFailure(err);
      return done();
    }
    context.with(state.ctx, done);
  });

  app.addHook('onSend', (request, reply, payload, done) => {
    const state = requestState(request);
    if (state && state.firstByteAt === undefined) {
      const type = lifecycle.headers.contentType(reply);
      if (isStream(payload) || (typeof type === 'string' && type.startsWith('text/event-stream'))) state.firstByteAt = performance.now();
    }
    done(null, payload);
  });

  app.addHook('onClose', async () => {
    await obs.tracing.forceFlush().catch((err: Error) => lifecycle.reportTelemetryFailure(err));
  });
};

/**
 * The observability Fastify plugin: request context, trace extraction and echo, one
 * access-log line per request and the HTTP metrics. It is wrapped with fastify-plugin so its
 * hooks cover every route of the app. The error envelope, readiness and the ops routes are
 * @samosachaat/service-kit's.
 */
export const observabilityPlugin = fp(plugin, { fastify: '5.x', name: '@samosachaat/observability' });
