import type { FastifyInstance } from 'fastify';
import { currentTraceId } from '@samosachaat/observability';
import { keysMatch } from '@samosachaat/service-kit';
import { MAX_TOKEN_LENGTH } from '../access-token.js';
import { AUTH_ERROR_DEFINITIONS, authErrors } from '../errors.js';
import { checkAccessToken } from '../token-check.js';
import type { RouteContext } from './context.js';

/**
 * `POST /auth/validate {token}` — internal: other services (chat-api) ask whether a bearer
 * token is good. Needs X-Internal-API-Key. `expires_at` is the token's own `exp`, so a
 * caller may cache the answer exactly until then and not a second longer.
 */
export function registerValidateRoute(app: FastifyInstance, ctx: RouteContext): void {
  app.post<{ Body: { token: string } }>(
    '/auth/validate',
    {
      onRequest: async (request) => {
        if (!keysMatch(request.headers['x-internal-api-key'], ctx.config.internalApiKey)) throw authErrors.AUTH_INTERNAL_KEY_INVALID();
      },
      schema: {
        body: { type: 'object', required: ['token'], properties: { token: { type: 'string', maxLength: MAX_TOKEN_LENGTH } }, additionalProperties: false },
      },
    },
    async (request, reply) => {
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
