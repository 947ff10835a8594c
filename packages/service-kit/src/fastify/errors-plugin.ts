import { requestRoute, requestTraceId } from '@samosachaat/observability';
import type { FastifyPluginAsync } from 'fastify';
import fp from 'fastify-plugin';
import { describeError, errorEnvelope, setRetryAfter } from './errors.js';

const plugin: FastifyPluginAsync = async (app) => {
  const errorsLog = app.obs.getLogger('http');

  app.setErrorHandler((err, request, reply) => {
    const { status, code, message, internal } = describeError(err);
    const traceId = requestTraceId(request);
    if (internal) errorsLog.error({ err, status_code: status, route: requestRoute(request) }, 'request_failed');
    else errorsLog.debug({ error_code: code, status_code: status }, 'request_rejected');
    setRetryAfter(reply, err);
    return reply.code(status).send(errorEnvelope(code, message, traceId));
  });

  app.setNotFoundHandler((request, reply) => {
    const traceId = requestTraceId(request);
    return reply.code(404).send(errorEnvelope('NOT_FOUND', `no route for ${request.method} ${request.url.split('?')[0]}`, traceId));
  });
};

/**
 * Every error as the one envelope `{"error":{"code","message","trace_id"}}` (an unknown error
 * as 500 INTERNAL_ERROR, logged), and an unknown route as 404 NOT_FOUND. fastify-plugin: the
 * handlers must cover the whole app.
 */
export const errorsPlugin = fp(plugin, { fastify: '5.x', name: '@samosachaat/service-kit/errors', dependencies: ['@samosachaat/observability'] });
