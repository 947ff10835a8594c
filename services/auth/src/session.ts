import type { FastifyReply } from 'fastify';
import { signAccessToken } from './access-token.js';
import type { AuthConfig } from './config.js';
import type { Queryable } from './database.js';
import type { JwtKeys } from './keys.js';
import { issueRefreshToken, type IssuedRefreshToken } from './refresh-tokens.js';
import { toPublicUser, type PublicUser, type UserRow } from './users.js';

/** Name of the refresh-token cookie. */
export const REFRESH_COOKIE = 'samosachaat_refresh';
/** The cookie is only ever sent to the auth routes (behind AUTH_PUBLIC_URL's path prefix). */
export function refreshCookiePath(config: Pick<AuthConfig, 'publicPathPrefix'>): string {
  return `${config.publicPathPrefix}/auth`;
}

/** The body of every answer that hands out an access token. */
export interface TokenAnswer {
  access_token: string;
  token_type: 'Bearer';
  expires_in: number;
  user: PublicUser;
}

/** Sets the httpOnly, SameSite=Lax refresh cookie (Secure outside local mode). */
export function setRefreshCookie(reply: FastifyReply, config: AuthConfig, refresh: IssuedRefreshToken): void {
  const maxAge = Math.max(0, Math.floor((refresh.expiresAt.getTime() - Date.now()) / 1000));
  reply.setCookie(REFRESH_COOKIE, refresh.token, {
    httpOnly: true,
    sameSite: 'lax',
    secure: config.secureCookies,
    path: refreshCookiePath(config),
    maxAge,
    expires: refresh.expiresAt,
  });
}

/** Removes the refresh cookie from the browser. */
export function clearRefreshCookie(reply: FastifyReply, config: AuthConfig): void {
  reply.clearCookie(REFRESH_COOKIE, { httpOnly: true, sameSite: 'lax', secure: config.secureCookies, path: refreshCookiePath(config) });
}

/** Signs an access token for `user` and shapes the answer. */
export async function tokenAnswer(keys: JwtKeys, config: Pick<AuthConfig, 'accessTokenTtlSeconds'>, user: UserRow): Promise<TokenAnswer> {
  const signed = await signAccessToken(keys, user, { ttlSeconds: config.accessTokenTtlSeconds });
  return { access_token: signed.token, token_type: 'Bearer', expires_in: signed.expiresIn, user: toPublicUser(user) };
}

/** A new login: a fresh refresh-token family for `user`, delivered as the cookie. */
export async function startSession(db: Queryable, reply: FastifyReply, config: AuthConfig, user: UserRow): Promise<void> {
  const refresh = await issueRefreshToken(db, user.id, config.refreshTokenTtlSeconds);
  setRefreshCookie(reply, config, refresh);
}
