import type { FastifyInstance } from 'fastify';
import type { AuthUser } from '../auth/auth-cache.js';
import type { ModelCatalog } from '../models/model-catalog.js';
import type { ApiAnswerDeps } from './api-answer.js';
import { apiCaller, registerApiKeyGuard } from './api-key-guard.js';
import type { ApiRateLimit } from './rate-limit.js';
import { registerChatCompletions } from './chat-completions.js';
import { modelCheck, registerModels } from './models.js';
import { registerOpenAiErrorHandling } from './openai-errors.js';
import { registerResponses } from './responses.js';

/** What the OpenAI-compatible API needs. */
export interface OpenAiRoutesDeps extends ApiAnswerDeps {
  validate: (token: string) => Promise<AuthUser | undefined>;
  catalog: ModelCatalog;
  /** Requests per user and minute, over every replica (API_RATE_LIMIT_PER_MINUTE). */
  rateLimit: ApiRateLimit;
}

/**
 * The OpenAI-compatible API for users (README "Use the API"), registered under `/v1`:
 * models, chat completions and responses, authenticated by the user's API keys, errors in
 * OpenAI's shape, answers counted in the answer SLIs with surface `api`.
 */
export async function registerOpenAiRoutes(scope: FastifyInstance, deps: OpenAiRoutesDeps): Promise<void> {
  registerOpenAiErrorHandling(scope, scope.obs.getLogger('openai-api'));
  registerApiKeyGuard(scope, deps.validate);
  // After the guard (hooks run in order): every admitted request counts against its user's rate.
  scope.addHook('onRequest', async (request, reply) => deps.rateLimit.admit(apiCaller(request).user.id, reply));
  const models = modelCheck(deps.catalog);
  registerModels(scope, deps.catalog);
  registerChatCompletions(scope, { ...deps, models });
  registerResponses(scope, { ...deps, models });
}
