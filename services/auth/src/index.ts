/**
 * @samosachaat/auth — OAuth 2 (GitHub, Google) with PKCE, the development login, RS256 access
 * tokens and rotating refresh tokens. Other packages (the CLI, chat-api tests) use the key
 * and token helpers exported here.
 */
export { buildApp } from './app.js';
export type { AuthDeps } from './app.js';
export { configFromEnv, OAUTH_PROVIDERS } from './config.js';
export type { AuthConfig, ConfigNotice, OAuthProviderConfig, OAuthProviderName } from './config.js';
export type { AuthDatabase, Queryable } from './database.js';
export { AUTH_ERROR_DEFINITIONS, authErrors } from './errors.js';
export type { AuthErrorCode } from './errors.js';
export { checkJwtKeys, generateJwtKeys, JwtKeyError, jwtKeysDoctorCheck, loadJwtKeys, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE, writeJwtKeyPair } from './keys.js';
export type { JwtKeyPaths, JwtKeyProblem, JwtKeys } from './keys.js';
export { DEFAULT_ACCESS_TOKEN_TTL_SECONDS, ISSUER, signAccessToken, verifyAccessToken } from './access-token.js';
export type { AccessTokenClaims, SignedAccessToken, TokenSubject, TokenVerdict } from './access-token.js';
export { checkDevelopmentUser, DevelopmentUserError, mintDevelopmentToken } from './dev-token.js';
export type { MintDevelopmentTokenOptions } from './dev-token.js';
export { ensureJwtKeys } from './startup-keys.js';
export { createAuthMetrics } from './metrics.js';
export type { AuthMetrics } from './metrics.js';
export { parseAdminEmails, isAdminEmail } from './admin-emails.js';
export { REFRESH_COOKIE } from './session.js';
export type { TokenAnswer } from './session.js';
export type { PublicUser } from './users.js';
