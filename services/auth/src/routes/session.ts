import type { FastifyInstance } from 'fastify';
import { bindContext } from '@samosachaat/observability';
import { authErrors } from '../errors.js';
import { validateAvatarUrl, validateName } from '../profile-fields.js';
import { revokeRefreshSession, rotateRefreshToken } from '../refresh-tokens.js';
import { clearRefreshCookie, REFRESH_COOKIE, setRefreshCookie, tokenAnswer } from '../session.js';
import { authenticateRequest } from '../token-check.js';
import { findUserById, toPublicUser, updateUserProfile } from '../users.js';
import type { RouteContext } from './context.js';

interface ProfileChange {
  name?: string;
  avatar_url?: string | null;
}

/** `POST /auth/refresh`, `POST /auth/logout`, `GET /auth/me` and `PUT /auth/me`. */
export function registerSessionRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { config, db, keys, metrics } = ctx;
  const log = ctx.obs.getLogger('session');

  app.post('/auth/refresh', { config: { spanName: 'refresh session' } }, async (request, reply) => {
    reply.header('cache-control', 'no-store');
    const presented = request.cookies[REFRESH_COOKIE];
    if (!presented) {
      metrics.refresh('invalid');
      throw authErrors.AUTH_REFRESH_MISSING();
    }
    const result = await rotateRefreshToken(db, presented, config.refreshTokenTtlSeconds);
    if (!result.ok) {
      clearRefreshCookie(reply, config);
      metrics.refresh(result.reason);
      if (result.reason === 'reused') {
        bindContext({ user_id: result.userId });
        // Either the user replayed an old cookie or someone else holds a copy of it.
        log.warning({ family_id: result.familyId, revoked_count: result.revoked }, 'refresh_token_reuse_detected');
        throw authErrors.AUTH_REFRESH_REUSED();
      }
      throw result.reason === 'expired' ? authErrors.AUTH_REFRESH_EXPIRED() : authErrors.AUTH_REFRESH_INVALID();
    }
    const user = await findUserById(db, result.userId);
    if (!user) {
      clearRefreshCookie(reply, config);
      metrics.refresh('invalid');
      throw authErrors.AUTH_REFRESH_INVALID();
    }
    bindContext({ user_id: user.id });
    setRefreshCookie(reply, config, result.next);
    metrics.refresh('success');
    return tokenAnswer(keys, config, user);
  });

  app.post('/auth/logout', { config: { spanName: 'logout' } }, async (request, reply) => {
    const presented = request.cookies[REFRESH_COOKIE];
    if (presented) {
      const revoked = await revokeRefreshSession(db, presented);
      if (revoked) {
        bindContext({ user_id: revoked.userId });
        log.info({ revoked_count: revoked.revoked }, 'logout');
      }
    }
    clearRefreshCookie(reply, config);
    return reply.code(204).send();
  });

  app.get('/auth/me', { config: { spanName: 'read profile' } }, async (request, reply) => {
    const user = await authenticateRequest(ctx, request);
    return reply.header('cache-control', 'no-store').send(toPublicUser(user));
  });

  app.put<{ Body: ProfileChange }>(
    '/auth/me',
    {
      config: { spanName: 'update profile' },
      schema: {
        body: {
          type: 'object',
          properties: { name: { type: 'string', maxLength: 400 }, avatar_url: { type: ['string', 'null'], maxLength: 4096 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const user = await authenticateRequest(ctx, request);
      const body = request.body ?? {};
      if (body.name === undefined && body.avatar_url === undefined) throw authErrors.AUTH_NOTHING_TO_UPDATE();
      const change: { name?: string; avatarUrl?: string | null } = {};
      if (body.name !== undefined) change.name = validateName(body.name);
      if (body.avatar_url !== undefined) change.avatarUrl = body.avatar_url === null ? null : validateAvatarUrl(body.avatar_url);
      const updated = await updateUserProfile(db, user.id, change);
      if (!updated) throw authErrors.AUTH_USER_NOT_FOUND();
      log.info({ name_changed: change.name !== undefined, avatar_changed: change.avatarUrl !== undefined }, 'profile_updated');
      return reply.header('cache-control', 'no-store').send(toPublicUser(updated));
    },
  );
}
