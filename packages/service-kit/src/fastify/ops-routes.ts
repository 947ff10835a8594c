import type { FastifyPluginAsync, FastifyReply, FastifyRequest } from 'fastify';
import { AppError } from './errors.js';
import { keysMatch } from './internal-key.js';

/** What the ops routes need besides the app's `obs`, `readiness` and `dependencies`. */
export interface OpsRoutesOptions {
  localMode: boolean;
  internalApiKey: string | undefined;
}

const startedAt = Date.now();

/** GET /metrics, /health, /ready, /debug/traces and /debug/traces/:traceId; encapsulated (routes only). */
export const opsRoutesPlugin: FastifyPluginAsync<OpsRoutesOptions> = async (app, options) => {
  const { obs, readiness, dependencies } = app;

  app.get('/metrics', async (request, reply) => {
    if (!obs.metrics.enabled) throw new AppError('METRICS_DISABLED', 'metrics are disabled (METRICS_ENABLED=false)', 404);
    const rendered = await obs.metrics.render(request.headers.accept);
    return reply.type(rendered.contentType).send(rendered.body);
  });

  // Liveness stays cheap: the dependencies' state is the background probes' cached result.
  app.get('/health', async () => ({
    status: 'ok',
    service: obs.config.service,
    version: obs.config.version ?? null,
    uptime_seconds: Math.round((Date.now() - startedAt) / 1000),
    dependencies: dependencies.snapshot(),
  }));

  app.get('/ready', async (_request, reply) => {
    const result = await readiness.run();
    const status = readiness.isDraining ? 'draining' : result.ready ? 'ready' : 'not_ready';
    return reply.code(result.ready ? 200 : 503).send({ status, service: obs.config.service, checks: result.checks });
  });

  const guard = async (request: FastifyRequest) => {
    if (options.localMode) return;
    if (!options.internalApiKey) throw new AppError('DEBUG_API_DISABLED', 'the debug API needs INTERNAL_API_KEY outside local mode', 403);
    if (!keysMatch(request.headers['x-internal-api-key'], options.internalApiKey)) {
      throw new AppError('UNAUTHORIZED', 'missing or wrong X-Internal-API-Key', 401);
    }
  };

  // Query strings are text: the schema checks their shape as strings, so these routes behave the
  // same whether or not the service lets Ajv coerce types.
  app.get<{ Querystring: { limit?: string; errors?: 'true' | 'false' } }>(
    '/debug/traces',
    {
      onRequest: guard,
      schema: {
        querystring: {
          type: 'object',
          properties: { limit: { type: 'string', pattern: '^[0-9]{1,4}$' }, errors: { type: 'string', enum: ['true', 'false'] } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply: FastifyReply) => {
      const traces = obs.traces;
      if (!traces) throw new AppError('TRACES_DISABLED', 'the trace buffer is off (TRACE_BUFFER_SIZE=0)', 404);
      const limit = request.query.limit === undefined ? 50 : Number(request.query.limit);
      if (limit < 1 || limit > 1000) throw new AppError('VALIDATION_FAILED', `querystring/limit must be from 1 to 1000, got ${limit}`, 400);
      await obs.tracing.forceFlush();
      const list = traces.recent({ limit, errorsOnly: request.query.errors === 'true' });
      return reply.send({ service: obs.config.service, count: list.length, traces: list });
    },
  );

  app.get<{ Params: { traceId: string } }>(
    '/debug/traces/:traceId',
    {
      onRequest: guard,
      schema: { params: { type: 'object', properties: { traceId: { type: 'string', pattern: '^[0-9a-fA-F]{32}$' } }, required: ['traceId'] } },
    },
    async (request) => {
      const traces = obs.traces;
      if (!traces) throw new AppError('TRACES_DISABLED', 'the trace buffer is off (TRACE_BUFFER_SIZE=0)', 404);
      await obs.tracing.forceFlush();
      const found = traces.getTrace(request.params.traceId);
      if (!found) throw new AppError('TRACE_NOT_FOUND', `trace ${request.params.traceId.toLowerCase()} is not in this service's buffer`, 404);
      return found;
    },
  );
};
