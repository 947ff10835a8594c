import type { FastifyInstance, FastifyRequest } from 'fastify';
import { bindContext } from '@samosachaat/observability';
import { chatError } from '../errors.js';
import type { AuthUser } from './auth-cache.js';

// Kept off the request object's type on purpose: another service's module augmentation of
// FastifyRequest would collide with ours in the workspace-wide typecheck.
const users = new WeakMap<FastifyRequest, AuthUser>();

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
export function registerAuthGuard(scope: FastifyInstance, validate: (token: string) => Promise<AuthUser | undefined>): void {
  scope.addHook('onRequest', async (request) => {
    const header = request.headers.authorization;
    const match = typeof header === 'string' && header.length <= MAX_TOKEN_LENGTH + 7 ? BEARER.exec(header.trim()) : null;
    if (!match) throw chatError('CHAT_UNAUTHENTICATED');
    const user = await validate(match[1] as string);
    if (!user) throw chatError('CHAT_INVALID_TOKEN');
    users.set(request, user);
    bindContext({ user_id: user.id });
  });
}

/** Throws CHAT_FORBIDDEN unless the request's user is an administrator. */
export function requireAdmin(request: FastifyRequest): AuthUser {
  const user = authenticatedUser(request);
  if (!user.is_admin) throw chatError('CHAT_FORBIDDEN');
  return user;
}
