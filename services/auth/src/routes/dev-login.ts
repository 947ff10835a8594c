import type { FastifyInstance } from 'fastify';
import { bindContext } from '@samosachaat/observability';
import { isAdminEmail } from '../admin-emails.js';
import { normaliseEmail } from '../email.js';
import { authErrors } from '../errors.js';
import { validateName } from '../profile-fields.js';
import { startSession, tokenAnswer } from '../session.js';
import { upsertDevelopmentUser } from '../users.js';
import type { RouteContext } from './context.js';

interface DevLoginBody {
  email: string;
  name?: string;
}

/**
 * `POST /auth/dev-login {email, name?}`: sign in without an OAuth app, in local mode only.
 * Outside local mode the route answers 404 whatever DEV_LOGIN says.
 */
export function registerDevLoginRoute(app: FastifyInstance, ctx: RouteContext): void {
  const { config, db, keys, metrics } = ctx;
  const log = ctx.obs.getLogger('dev-login');

  app.post<{ Body: DevLoginBody }>(
    '/auth/dev-login',
    {
      config: { spanName: 'login' },
      onRequest: [
        async () => {
          if (!config.devLogin) throw authErrors.AUTH_DEV_LOGIN_DISABLED();
        },
        ctx.loginLimit('dev_login'),
      ],
      schema: {
        body: {
          type: 'object',
          required: ['email'],
          properties: { email: { type: 'string', maxLength: 320 }, name: { type: 'string', maxLength: 400 } },
          additionalProperties: false,
        },
      },
    },
    async (request, reply) => {
      const email = normaliseEmail(request.body.email);
      if (!email) {
        metrics.login('dev', 'failure');
        throw authErrors.AUTH_INVALID_EMAIL();
      }
      let name: string | null = null;
      if (request.body.name !== undefined) {
        try {
          name = validateName(request.body.name);
        } catch (err) {
          metrics.login('dev', 'failure');
          throw err;
        }
      }
      const { user, created } = await upsertDevelopmentUser(db, email, name, isAdminEmail(config.adminEmails, email));
      bindContext({ user_id: user.id });
      await startSession(db, reply, config, user);
      const answer = await tokenAnswer(keys, config, user);
      metrics.login('dev', 'success');
      log.info({ provider: 'dev', new_user: created, is_admin: user.is_admin }, 'login_succeeded');
      return reply.header('cache-control', 'no-store').send(answer);
    },
  );
}
