import type { FastifyInstance } from 'fastify';
import { requireInternalKey } from '../http/auth.js';
import { formatSchemaErrors } from '../http/schema-errors.js';
import type { InferenceRuntime } from '../runtime.js';

/**
 * `GET /models` — the engine's models and the loaded one.
 * `POST /models/swap` (internal key) — drain in-flight generations, unload, load; 202 with
 * `{current_model, previous_model}`. Generations that arrive meanwhile wait in the queue.
 */
export function registerModelRoutes(app: FastifyInstance, runtime: InferenceRuntime): void {
  const { models, config } = runtime;

  app.get('/models', async () => ({ models: await models.models(), current_model: models.current ?? null }));

  app.post<{ Body: { model: string } }>(
    '/models/swap',
    {
      onRequest: requireInternalKey(config.internalApiKey),
      schema: { body: { type: 'object', required: ['model'], properties: { model: { type: 'string', minLength: 1, maxLength: 200 } } } },
      schemaErrorFormatter: formatSchemaErrors,
    },
    async (request, reply) => {
      const result = await models.swap(request.body.model);
      return reply.code(202).send(result);
    },
  );
}
