import cookie from '@fastify/cookie';
import Fastify, { type FastifyInstance } from 'fastify';
import { type Observability } from '@samosachaat/observability';
import { httpServerOptions, servicePlugin } from '@samosachaat/service-kit';
import type { AuthConfig } from './config.js';
import { registerWebOriginCors } from './cors.js';
import type { AuthDatabase } from './database.js';
import type { JwtKeys } from './keys.js';
import { purgeLoginAttempts } from './login-attempts.js';
import { purgeUsedOAuthStates } from './oauth/used-states.js';
import { createLoginLimit } from './login-limit.js';
import { createAuthMetrics } from './metrics.js';
import { purgeExpiredRefreshTokens } from './refresh-tokens.js';
import type { RouteContext } from './routes/context.js';
import { registerApiKeyRoutes } from './routes/api-keys.js';
import { registerDevLoginRoute } from './routes/dev-login.js';
import { registerOAuthRoutes } from './routes/oauth.js';
import { registerSessionRoutes } from './routes/session.js';
import { registerValidateRoute } from './routes/validate.js';

/** What the auth app runs on; built by main.ts (or a test) and handed in. */
export interface AuthDeps {
  obs: Observability;
  db: AuthDatabase;
  keys: JwtKeys;
  /** Clock of the login rate limiter (tests). */
  now?: () => number;
  /** How often expired refresh tokens are deleted; 0 turns the sweep off. Default 1 h. */
  refreshTokenPurgeIntervalMs?: number;
}

/** Request bodies here are a few hundred bytes; 16 KiB leaves room and bounds abuse. */
const BODY_LIMIT = 16 * 1024;
const HOUR_MS = 3_600_000;

/**
 * Builds the auth service: the observability plugin (logs, traces, metrics, /health,
 * /ready, /metrics, error envelope), cookies, and the routes of SPEC §5 under `/auth`.
 * Returns the instance unstarted; the caller listens (main.ts) or injects (tests).
 */
export async function buildApp(config: AuthConfig, deps: AuthDeps): Promise<FastifyInstance> {
  const { obs, db, keys } = deps;
  const app = Fastify({
    logger: false,
    bodyLimit: BODY_LIMIT,
    trustProxy: typeof config.trustProxy === 'object' ? [...config.trustProxy] : config.trustProxy,
    return503OnClosing: true,
    ...httpServerOptions(obs, config.serverTimeouts),
    // Refuse unknown fields with a 400 instead of dropping them silently: a client sending
    // `is_admin` or `email` to PUT /auth/me must learn it has no effect.
    // No type coercion: {"name": 5} is a 400 naming the field, not a user called "5".
    ajv: { customOptions: { removeAdditional: false, coerceTypes: false } },
  });
  await app.register(servicePlugin, { obs, localMode: config.localMode, internalApiKey: config.internalApiKey, quietRoutes: ['/health', '/ready', '/metrics', '/auth/health'] });
  await app.register(cookie);

  const log = obs.getLogger('auth');
  for (const notice of config.notices) log.warning({ variable: notice.variable, detail: notice.detail }, 'config_setting_ignored');

  app.readiness.add('database', async () => {
    await db.ping();
  });

  const metrics = createAuthMetrics(obs.metrics);
  const ctx: RouteContext = {
    config,
    db,
    keys,
    obs,
    metrics,
    loginLimit: createLoginLimit({ db, ...config.loginRateLimit, metrics, log: obs.rateLimited('login-limit'), now: deps.now }),
  };

  registerWebOriginCors(app, config.webUrl);
  app.get('/auth/health', async () => ({ status: 'ok', service: 'auth' }));
  app.get('/auth/jwks', async (_request, reply) => reply.header('cache-control', 'public, max-age=300').send({ keys: [keys.publicJwk] }));
  registerOAuthRoutes(app, ctx);
  registerDevLoginRoute(app, ctx);
  registerSessionRoutes(app, ctx);
  registerValidateRoute(app, ctx);
  registerApiKeyRoutes(app, ctx);

  const purgeEvery = deps.refreshTokenPurgeIntervalMs ?? HOUR_MS;
  if (purgeEvery > 0) {
    const purgeLog = obs.rateLimited('refresh-token-purge');
    const purge = () =>
      purgeExpiredRefreshTokens(db).then(
        (count) => {
          if (count > 0) log.info({ deleted_count: count }, 'refresh_tokens_purged');
        },
        (err: Error) => purgeLog.warning('refresh_token_purge_failed', { error: err.message, error_type: err.name }),
      );
    every(purgeEvery, purge);
    // Login attempts that left their window: each replica sweeps, any one of them suffices.
    const windowMs = config.loginRateLimit.windowSeconds * 1000;
    const attemptsLog = obs.rateLimited('login-attempts-purge');
    const now = deps.now ?? Date.now;
    every(Math.max(windowMs, 60_000), () =>
      Promise.all([purgeLoginAttempts(db, windowMs, now()), purgeUsedOAuthStates(db, Date.now())]).catch((err: Error) =>
        attemptsLog.warning('login_state_purge_failed', { error: err.message, error_type: err.name }),
      ),
    );
  }
  return app;

  function every(ms: number, task: () => Promise<unknown>): void {
    let timer: NodeJS.Timeout | undefined;
    app.addHook('onReady', async () => {
      timer = setInterval(task, ms).unref();
    });
    app.addHook('onClose', async () => clearInterval(timer));
  }
}
