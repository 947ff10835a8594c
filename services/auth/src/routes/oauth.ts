import type { FastifyInstance, FastifyReply, FastifyRequest } from 'fastify';
import { bindContext, redactedExcerpt } from '@samosachaat/observability';
import { keysMatch } from '@samosachaat/service-kit';
import { isAdminEmail } from '../admin-emails.js';
import { OAUTH_PROVIDERS, type OAuthProviderName } from '../config.js';
import { authErrors } from '../errors.js';
import { FAILURE_CODES, OAuthFailure } from '../oauth/failure.js';
import { createPkcePair, createOAuthState } from '../oauth/pkce.js';
import { createOAuthProvider, type OAuthProvider } from '../oauth/provider.js';
import { deriveCookieKey, OAUTH_COOKIE_TTL_SECONDS, openFlowState, sealFlowState } from '../oauth/sealed-cookie.js';
import { consumeOAuthState } from '../oauth/used-states.js';
import { startSession } from '../session.js';
import { EmailInUseError, upsertProviderUser } from '../users.js';
import type { RouteContext } from './context.js';

/** The cookie that carries the sealed state + PKCE verifier from login to callback. */
export const OAUTH_FLOW_COOKIE = 'samosachaat_oauth';
const PROVIDER_VARS: Record<OAuthProviderName, string> = { github: 'GITHUB_CLIENT_ID and GITHUB_CLIENT_SECRET', google: 'GOOGLE_CLIENT_ID and GOOGLE_CLIENT_SECRET' };

interface ProviderParams {
  provider: string;
}
interface CallbackQuery {
  code?: string;
  state?: string;
  error?: string;
}

const providerParams = { type: 'object', properties: { provider: { type: 'string', maxLength: 32 } }, required: ['provider'] } as const;
const callbackQuery = {
  type: 'object',
  properties: { code: { type: 'string', maxLength: 2048 }, state: { type: 'string', maxLength: 256 }, error: { type: 'string', maxLength: 256 } },
} as const;

function wantsJson(request: FastifyRequest): boolean {
  return (request.headers.accept ?? '').includes('application/json');
}

/** `GET /auth/login/:provider`, `GET /auth/callback/:provider` and `GET /auth/providers`. */
export function registerOAuthRoutes(app: FastifyInstance, ctx: RouteContext): void {
  const { config, db, metrics, obs } = ctx;
  const log = obs.getLogger('oauth');
  const cookieKey = deriveCookieKey(config.cookieSecret);
  const http = { fetch: obs.fetch, timeoutMs: config.providerTimeoutMs };
  const clients = new Map<string, OAuthProvider>();
  for (const provider of Object.values(config.providers)) clients.set(provider.name, createOAuthProvider(provider, http));

  const redirectUri = (provider: string) => `${config.publicUrl}/auth/callback/${provider}`;
  function clientFor(name: string): OAuthProvider {
    const known = (OAUTH_PROVIDERS as readonly string[]).includes(name);
    if (!known) throw authErrors.AUTH_PROVIDER_UNKNOWN(`unknown login provider "${redactedExcerpt(name, 32)}"; known: ${OAUTH_PROVIDERS.join(', ')}`);
    const client = clients.get(name);
    if (!client) throw authErrors.AUTH_PROVIDER_NOT_CONFIGURED(`${name} login is not configured on this server: set ${PROVIDER_VARS[name as OAuthProviderName]}`);
    return client;
  }
  const flowCookie = { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: `${config.publicPathPrefix}/auth/callback` } as const;

  app.get('/auth/providers', async () => ({
    providers: OAUTH_PROVIDERS.filter((name) => clients.has(name)),
    dev_login: config.devLogin,
  }));

  app.get<{ Params: ProviderParams }>('/auth/login/:provider', { config: { spanName: 'start login' }, onRequest: ctx.loginLimit('login'), schema: { params: providerParams } }, async (request, reply) => {
    const client = clientFor(request.params.provider);
    const state = createOAuthState();
    const pkce = createPkcePair();
    const sealed = await sealFlowState(cookieKey, { provider: client.name, state, verifier: pkce.verifier });
    reply.setCookie(OAUTH_FLOW_COOKIE, sealed, { ...flowCookie, maxAge: OAUTH_COOKIE_TTL_SECONDS });
    reply.header('cache-control', 'no-store');
    log.info({ provider: client.name }, 'login_started');
    return reply.redirect(client.authorizationUrl({ redirectUri: redirectUri(client.name), state, codeChallenge: pkce.challenge }), 302);
  });

  async function completeSignIn(client: OAuthProvider, request: FastifyRequest<{ Querystring: CallbackQuery }>, reply: FastifyReply): Promise<void> {
    const { code, state, error } = request.query;
    if (error !== undefined) {
      const denied = error === 'access_denied';
      throw new OAuthFailure(denied ? 'access_denied' : 'provider_error', `${client.name} answered the sign-in with an error`, /^[A-Za-z0-9_.-]{1,64}$/.test(error) ? { provider_error: error } : {});
    }
    const sealed = request.cookies[OAUTH_FLOW_COOKIE];
    const flow = sealed ? await openFlowState(cookieKey, sealed) : undefined;
    if (!flow) throw new OAuthFailure('invalid_state', 'no valid sign-in cookie (expired, tampered with, or from another browser)', { state_check: sealed ? 'cookie_unreadable' : 'cookie_missing' });
    if (flow.provider !== client.name) throw new OAuthFailure('invalid_state', 'the sign-in cookie belongs to another provider', { state_check: 'provider_mismatch' });
    if (!state || !keysMatch(state, flow.state)) throw new OAuthFailure('invalid_state', 'the state parameter does not match the sign-in cookie', { state_check: 'state_mismatch' });
    if (!code) throw new OAuthFailure('missing_code', `${client.name} sent no authorization code`);
    // One use, server-side: a captured callback URL and cookie replayed within the cookie's
    // lifetime (on any replica) is refused before the code is exchanged.
    if (!(await consumeOAuthState(db, flow.state, Date.now() + OAUTH_COOKIE_TTL_SECONDS * 1000))) {
      throw new OAuthFailure('invalid_state', 'this sign-in was already completed; start a new one', { state_check: 'state_reused' });
    }

    const accessToken = await client.exchangeCode({ code, redirectUri: redirectUri(client.name), codeVerifier: flow.verifier });
    const profile = await client.fetchProfile(accessToken);
    let result;
    try {
      result = await upsertProviderUser(db, profile, isAdminEmail(config.adminEmails, profile.email));
    } catch (err) {
      if (err instanceof EmailInUseError) throw new OAuthFailure('email_in_use', err.message, { existing_provider: err.existingProvider });
      throw err;
    }
    bindContext({ user_id: result.user.id });
    await startSession(db, reply, config, result.user);
    metrics.login(client.name, 'success');
    log.info({ provider: client.name, new_user: result.created, is_admin: result.user.is_admin }, 'login_succeeded');
  }

  app.get<{ Params: ProviderParams; Querystring: CallbackQuery }>(
    '/auth/callback/:provider',
    { config: { spanName: 'login' }, onRequest: ctx.loginLimit('callback'), schema: { params: providerParams, querystring: callbackQuery } },
    async (request, reply) => {
      const client = clientFor(request.params.provider);
      // One flow, one use: the cookie goes whatever happens next.
      reply.clearCookie(OAUTH_FLOW_COOKIE, flowCookie);
      reply.header('cache-control', 'no-store');
      try {
        await completeSignIn(client, request, reply);
      } catch (err) {
        if (!(err instanceof OAuthFailure)) {
          metrics.login(client.name, 'failure');
          // A browser is better served by the web app's error page than by a JSON 500.
          if (wantsJson(request)) throw err;
          log.error({ err, provider: client.name, reason: 'server_error' }, 'login_failed');
          return reply.redirect(`${config.webUrl}/auth/error?reason=server_error`, 302);
        }
        const fields = { provider: client.name, reason: err.reason, error: err.message, ...err.details };
        if (err.reason === 'access_denied') {
          metrics.login(client.name, 'denied');
          log.info(fields, 'login_failed');
        } else {
          metrics.login(client.name, 'failure');
          log.warning(fields, 'login_failed');
        }
        if (wantsJson(request)) throw authErrors[FAILURE_CODES[err.reason]]();
        return reply.redirect(`${config.webUrl}/auth/error?reason=${err.reason}`, 302);
      }
      return reply.redirect(`${config.webUrl}/auth/complete`, 302);
    },
  );
}
