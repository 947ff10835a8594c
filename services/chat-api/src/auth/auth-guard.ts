import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bindContext } from '@samosachaat/observability';
import { CHAT_ERRORS } from '../errors.js';
import type { AuthUser } from './auth-cache.js';

// Kept off the request object's type on purpose: another service's module augmentation of
// FastifyRequest would collide with ours in the workspace-wide typecheck.
const users = new WeakMap<FastifyRequest, AuthUser>();
const tokens = new WeakMap<FastifyRequest, { token: string; forget: (token: string) => void }>();

/** The user the auth guard admitted for this request; throws if the route is not guarded. */
export function authenticatedUser(request: FastifyRequest): AuthUser {
  const user = users.get(request);
  if (!user) throw new Error('authenticatedUser() called on a route outside the auth guard');
  return user;
}

// RFC 6750 token68 characters; a JWT fits, whitespace and control characters do not.
const BEARER = /^Bearer ([A-Za-z0-9\-._~+/]+=*)$/i;
const MAX_TOKEN_LENGTH = 8192;

/**
 * Guards every route of `scope`: `Authorization: Bearer <jwt>` validated through auth
 * (cached), the user bound into the log context. Runs at onRequest, before the body is read,
 * so an unauthenticated client cannot make the service parse a large body.
 */
export function registerAuthGuard(scope: FastifyInstance, validate: (token: string) => Promise<AuthUser | undefined>, forget: (token: string) => void = () => {}): void {
  scope.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' && header.length <= MAX_TOKEN_LENGTH + 7 ? BEARER.exec(header.trim()) : null;
    if (!match) throw CHAT_ERRORS.CHAT_UNAUTHENTICATED();
    const token = match[1] as string;
    const user = await validate(token);
    if (!user) throw CHAT_ERRORS.CHAT_INVALID_TOKEN();
    // An API key opens the OpenAI-compatible API (/v1) only, never the account's own routes.
    if (user.api_key_id !== undefined) throw CHAT_ERRORS.CHAT_INVALID_TOKEN({ message: 'an API key works on /v1 only; these routes need an access token' });
    users.set(request, user);
    tokens.set(request, { token, forget });
    bindContext({ user_id: user.id });
  });
}

/**
 * For a request whose user turned out not to exist any more (deleted after its token was
 * validated and cached): forgets the token, so the next request asks auth again, and returns
 * the 401 to throw.
 */
export function userGoneError(request: FastifyRequest) {
  const entry = tokens.get(request);
  entry?.forget(entry.token);
  return CHAT_ERRORS.CHAT_INVALID_TOKEN({ message: 'the account this access token was issued for no longer exists; sign in again' });
}

/** Throws CHAT_FORBIDDEN unless the request's user is an administrator. */
export function requireAdmin(request: FastifyRequest): AuthUser {
  const user = authenticatedUser(request);
  if (!user.is_admin) throw CHAT_ERRORS.CHAT_FORBIDDEN();
  return user;
}
