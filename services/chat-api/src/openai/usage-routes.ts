import type { FastifyInstance } from 'fastify';
import { authenticatedUser } from '../auth/auth-guard.js';
import type { UsageRecorder } from './usage-recorder.js';

/**
 * `GET /api/keys/usage` (access token): the signed-in user's API keys' usage — requests,
 * prompt and completion tokens, last use — and nobody else's. The keys themselves are
 * auth's (`GET /auth/keys`); the web UI joins the two by key id.
 */
export function registerUsageRoutes(scope: FastifyInstance, usage: UsageRecorder): void {
  scope.get('/keys/usage', async (request, reply) => {
    const user = authenticatedUser(request);
    return reply.header('cache-control', 'no-store').send({ usage: await usage.forUser(user.id) });
  });
}
