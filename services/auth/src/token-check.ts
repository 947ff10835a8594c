import type { FastifyRequest } from 'fastify';
import { bindContext } from '@samosachaat/observability';
import { verifyAccessToken, type AccessTokenClaims } from './access-token.js';
import { authErrors, type AuthErrorCode } from './errors.js';
import type { RouteContext } from './routes/context.js';
import { findUserById, type UserRow } from './users.js';

/** A token checked against the key and the users table. */
export type TokenCheck = { valid: true; user: UserRow; claims: AccessTokenClaims } | { valid: false; code: AuthErrorCode };

/**
 * Verifies an access token and loads its user (a deleted user's tokens stop working at
 * once). Counts the outcome in `auth_token_validations_total` and binds `user_id` to the
 * request's log context on success.
 */
export async function checkAccessToken(ctx: Pick<RouteContext, 'db' | 'keys' | 'metrics'>, token: string): Promise<TokenCheck> {
  const verdict = await verifyAccessToken(ctx.keys, token);
  if (!verdict.valid) {
    ctx.metrics.validation(verdict.outcome);
    return { valid: false, code: verdict.code };
  }
  const user = await findUserById(ctx.db, verdict.claims.sub);
  if (!user) {
    ctx.metrics.validation('invalid');
    return { valid: false, code: 'AUTH_USER_NOT_FOUND' };
  }
  ctx.metrics.validation('valid');
  bindContext({ user_id: user.id });
  return { valid: true, user, claims: verdict.claims };
}

const BEARER = /^Bearer +([A-Za-z0-9._~+/=-]+) *$/i;

/** The user of the request's `Authorization: Bearer` token, or a 401 saying what is wrong. */
export async function authenticateRequest(ctx: Pick<RouteContext, 'db' | 'keys' | 'metrics'>, request: FastifyRequest): Promise<UserRow> {
  const match = BEARER.exec(request.headers.authorization ?? '');
  if (!match) throw authErrors.AUTH_TOKEN_MISSING();
  const check = await checkAccessToken(ctx, match[1] as string);
  if (!check.valid) throw authErrors[check.code]();
  return check.user;
}
