import type { FastifyInstance } from 'fastify';
import { currentTraceId } from '@samosachaat/observability';
import { keysMatch } from '@samosachaat/service-kit';
import { MAX_TOKEN_LENGTH } from '../access-token.js';
import { AUTH_ERROR_DEFINITIONS, authErrors } from '../errors.js';
import { findApiKeyOwner, looksLikeApiKey } from '../api-keys.js';
import { checkAccessToken } from '../token-check.js';
import { findUserById } from '../users.js';
import type { RouteContext } from './context.js';

/**
 * `POST /auth/validate {token}` — internal: other services (chat-api) ask whether a bearer
 * token is good. Needs X-Internal-API-Key. `expires_at` is the token's own `exp`, so a
 * caller may cache the answer exactly until then and not a second longer.
 *
 * A user API key (`sk-sc-…`, README "Use the API") is checked here too: the answer then has
 * `api_key_id` and no `expires_at` (a key lives until revoked), so a caller caches it for its
 * own bound (chat-api: AUTH_CACHE_TTL_SECONDS), which is how long a revoked key may still work.
 */
export function registerValidateRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Body: { token: string } }>(
    '/auth/validate',
    {
      config: { spanName: 'validate token' },
      onRequest: async (request) => {
        if (!keysMatch(request.headers['x-internal-api-key'], ctx.config.internalApiKey)) throw authErrors.AUTH_INTERNAL_KEY_INVALID();
      },
      schema: {
        body: { type: 'object', required: ['token'], properties: { token: { type: 'string', maxLength: MAX_TOKEN_LENGTH } }, additionalProperties: false },
      },
    },
    async (request, reply) => {
      if (looksLikeApiKey(request.body.token)) {
        const owner = await findApiKeyOwner(ctx.db, request.body.token);
        const user = owner ? await findUserById(ctx.db, owner.userId) : undefined;
        if (!owner || !user) {
          ctx.metrics.validation('invalid');
          const traceId = currentTraceId();
          const error = { code: 'AUTH_API_KEY_INVALID', message: AUTH_ERROR_DEFINITIONS.AUTH_API_KEY_INVALID.message, ...(traceId ? { trace_id: traceId } : {}) };
          return reply.code(401).send({ valid: false, error });
        }
        ctx.metrics.validation('valid');
        return { valid: true, user: { id: user.id, email: user.email, name: user.name, is_admin: user.is_admin }, api_key_id: owner.keyId };
      }
      const check = await checkAccessToken(ctx, request.body.token);
      if (!check.valid) {
        const traceId = currentTraceId();
        const error = { code: check.code, message: AUTH_ERROR_DEFINITIONS[check.code].message, ...(traceId ? { trace_id: traceId } : {}) };
        return reply.code(401).send({ valid: false, error });
      }
      const { user, claims } = check;
      return { valid: true, user: { id: user.id, email: user.email, name: user.name, is_admin: user.is_admin }, expires_at: claims.exp };
    },
  );
}
