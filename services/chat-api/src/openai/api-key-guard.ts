import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bindContext } from '@samosachaat/observability';
import type { AuthUser } from '../auth/auth-cache.js';
import { OpenAiError } from './openai-errors.js';

/** The user and API key of a `/v1` request. */
export interface ApiCaller {
  user: AuthUser;
  keyId: string;
}

const callers = new WeakMap<FastifyRequest, ApiCaller>();

/** The caller the API-key guard admitted; throws if the route is not guarded. */
export function apiCaller(request: FastifyRequest): ApiCaller {
  const caller = callers.get(request);
  if (!caller) throw new Error('apiCaller() called on a route outside the API-key guard');
  return caller;
}

const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
const MAX_KEY_LENGTH = 512;

function invalidKey(message: string): OpenAiError {
  return new OpenAiError(401, 'invalid_api_key', message);
}

/**
 * Guards `scope` (the `/v1` routes): `Authorization: Bearer sk-sc-…`, a user API key checked
 * through auth with the token cache's rules (so a revoked key stops working within
 * AUTH_CACHE_TTL_SECONDS). Access tokens and the internal service key are refused: only a key
 * the user created and can revoke opens this API. The key is never logged.
 */
export function registerApiKeyGuard(scope: FastifyInstance, validate: (token: string) => Promise<AuthUser | undefined>): void {
  scope.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' && header.length <= MAX_KEY_LENGTH + 7 ? BEARER.exec(header.trim()) : null;
    if (!match) throw invalidKey('missing API key: send Authorization: Bearer <API key> (create one on the API keys page)');
    const token = match[1] as string;
    if (!token.startsWith('sk-sc-')) throw invalidKey('this is not a samosaChaat API key (they start with sk-sc-); create one on the API keys page');
    const user = await validate(token);
    if (!user?.api_key_id) throw invalidKey('incorrect API key: it is unknown or was revoked');
    callers.set(request, { user, keyId: user.api_key_id });
    bindContext({ user_id: user.id });
  });
}
