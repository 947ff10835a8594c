import type { FastifyInstance } from 'fastify';
import type { ModelCatalog } from '../models/model-catalog.js';
import { OpenAiError } from './openai-errors.js';

// OpenAI's model objects carry a creation time; inference's catalog has none, so the time this
// process first listed them stands in (stable for the process's life).
const listedSince = Math.floor(Date.now() / 1000);

function modelObject(model: { id: string; engine: string }) {
  return { id: model.id, object: 'model', created: listedSince, owned_by: `samosachaat-${model.engine}` };
}

/** `GET /v1/models` and `GET /v1/models/{id}` from inference's catalog (404 `model_not_found`). */
export function registerModels(scope: FastifyInstance, catalog: ModelCatalog): void {
  scope.get('/models', async () => ({ object: 'list', data: (await catalog.list()).map(modelObject) }));
  scope.get<{ Params: { '*': string } }>('/models/*', async (request) => {
    const id = request.params['*'];
    const found = (await catalog.list()).find((m) => m.id === id);
    if (!found) throw new OpenAiError(404, 'model_not_found', `the model "${id.slice(0, 100)}" does not exist; GET /v1/models lists the models there are`, 'model');
    return modelObject(found);
  });
}

/** The check `/v1` answers run before they start: a model inference does not serve is a 404 `model_not_found`. */
export function modelCheck(catalog: ModelCatalog) {
  return {
    async assertServed(model: string): Promise<void> {
      try {
        await catalog.assertKnown(model);
      } catch (err) {
        if ((err as { code?: unknown }).code === 'CHAT_UNKNOWN_MODEL') throw new OpenAiError(404, 'model_not_found', (err as Error).message, 'model');
        throw err;
      }
    },
  };
}
