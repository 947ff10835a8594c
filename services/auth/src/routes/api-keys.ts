import type { FastifyInstance } from 'fastify';
import { createApiKey, listApiKeys, revokeApiKey } from '../api-keys.js';
import { authErrors } from '../errors.js';
import { validateName } from '../profile-fields.js';
import { authenticateRequest } from '../token-check.js';
import type { RouteContext } from './context.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

/**
 * The signed-in user's API keys for the OpenAI-compatible API (README "Use the API"):
 * `POST /auth/keys {name}` creates one and shows it once, `GET /auth/keys` lists them
 * (prefix, name, creation time; last use comes from chat-api's usage), `DELETE /auth/keys/:id`
 * revokes one. Every route needs the user's access token and sees only the user's own keys.
 */
export function registerApiKeyRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const log = ctx.obs.getLogger('api-keys');

  app.get('/auth/keys', async (request, reply) => {
    const user = await authenticateRequest(ctx, request);
    return reply.header('cache-control', 'no-store').send({ keys: await listApiKeys(ctx.db, user.id) });
  });

  app.post<{ Body: { name?: string } }>(
    '/auth/keys',
    { schema: { body: { type: ['object', 'null'], properties: { name: { type: 'string', maxLength: 400 } }, additionalProperties: false } } },
    async (request, reply) => {
      const user = await authenticateRequest(ctx, request);
      let name = 'API key';
      if (request.body?.name !== undefined) {
        try {
          name = validateName(request.body.name);
        } catch {
          throw authErrors.AUTH_INVALID_KEY_NAME();
        }
      }
      const created = await createApiKey(ctx.db, user.id, name);
      if (!created) throw authErrors.AUTH_API_KEY_LIMIT();
      // The prefix and id only: the key itself never reaches a log line.
      log.info({ key_id: created.id, key_prefix: created.prefix }, 'api_key_created');
      return reply.code(201).header('cache-control', 'no-store').send(created);
    },
  );

  app.delete<{ Params: { id: string } }>('/auth/keys/:id', async (request, reply) => {
    const user = await authenticateRequest(ctx, request);
    const { id } = request.params;
    if (!UUID.test(id) || !(await revokeApiKey(ctx.db, user.id, id))) throw authErrors.AUTH_API_KEY_NOT_FOUND();
    log.info({ key_id: id }, 'api_key_revoked');
    return reply.code(204).send();
  });
}
