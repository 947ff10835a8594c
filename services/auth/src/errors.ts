import { defineErrors } from '@samosachaat/service-kit';

/**
 * The auth service's error registry: every code it answers with, its HTTP status and its
 * default message. Handlers throw `authErrors.CODE('more precise message')`, or
 * `authErrors.CODE({ message, retryAfterSeconds })` on a 429 (→ `Retry-After`).
 */
export const AUTH_ERROR_DEFINITIONS = {
  AUTH_PROVIDER_UNKNOWN: { status: 404, message: 'unknown login provider' },
  AUTH_PROVIDER_NOT_CONFIGURED: { status: 404, message: 'this login provider is not configured' },
  AUTH_DEV_LOGIN_DISABLED: { status: 404, message: 'the development login is off: it exists only in local mode (SAMOSACHAAT_LOCAL=true)' },
  AUTH_INVALID_EMAIL: { status: 400, message: 'email must be an e-mail address of at most 254 characters' },
  AUTH_INVALID_NAME: { status: 400, message: 'name must be 1 to 100 characters without control characters' },
  AUTH_INVALID_AVATAR_URL: { status: 400, message: 'avatar_url must be an https URL of at most 2048 characters' },
  AUTH_NOTHING_TO_UPDATE: { status: 400, message: 'send at least one of name, avatar_url' },
  AUTH_TOKEN_MISSING: { status: 401, message: 'missing access token: send Authorization: Bearer <token>' },
  AUTH_TOKEN_EXPIRED: { status: 401, message: 'the access token has expired; get a new one from POST /auth/refresh' },
  AUTH_TOKEN_INVALID_SIGNATURE: { status: 401, message: 'the access token signature does not verify with this service’s key' },
  AUTH_TOKEN_WRONG_ISSUER: { status: 401, message: 'the access token was not issued by samosachaat-auth' },
  AUTH_TOKEN_MALFORMED: { status: 401, message: 'the access token is not a well-formed JWT' },
  AUTH_TOKEN_INVALID: { status: 401, message: 'the access token is not valid' },
  AUTH_USER_NOT_FOUND: { status: 401, message: 'the user of this token no longer exists' },
  AUTH_INTERNAL_KEY_INVALID: { status: 401, message: 'missing or wrong X-Internal-API-Key' },
  AUTH_REFRESH_MISSING: { status: 401, message: 'no refresh token: sign in again' },
  AUTH_REFRESH_INVALID: { status: 401, message: 'the refresh token is not valid: sign in again' },
  AUTH_REFRESH_EXPIRED: { status: 401, message: 'the refresh token has expired: sign in again' },
  AUTH_REFRESH_REUSED: { status: 401, message: 'this refresh token was already used; every session of this login was signed out: sign in again' },
  AUTH_RATE_LIMITED: { status: 429, message: 'too many login attempts from this address; try again later' },
  AUTH_OAUTH_DENIED: { status: 403, message: 'the sign-in was cancelled at the provider' },
  AUTH_OAUTH_PROVIDER_ERROR: { status: 400, message: 'the provider answered the sign-in with an error' },
  AUTH_OAUTH_STATE_INVALID: { status: 400, message: 'the sign-in state is missing, expired or does not match; start the sign-in again' },
  AUTH_OAUTH_CODE_MISSING: { status: 400, message: 'the provider sent no authorization code' },
  AUTH_OAUTH_TOKEN_EXCHANGE_FAILED: { status: 400, message: 'the provider refused to exchange the authorization code' },
  AUTH_OAUTH_PROFILE_FAILED: { status: 502, message: 'the provider did not return the user profile' },
  AUTH_OAUTH_NO_VERIFIED_EMAIL: { status: 403, message: 'the provider account has no verified e-mail address' },
  AUTH_OAUTH_PROVIDER_UNAVAILABLE: { status: 502, message: 'the provider could not be reached' },
  AUTH_API_KEY_NOT_FOUND: { status: 404, message: 'no API key with this id among yours (it may be revoked already)' },
  AUTH_API_KEY_LIMIT: { status: 409, message: 'you hold the most API keys allowed; revoke one first' },
  AUTH_API_KEY_INVALID: { status: 401, message: 'the API key is not valid: it is unknown or was revoked' },
  AUTH_INVALID_KEY_NAME: { status: 400, message: 'a key name must be 1 to 100 characters without control characters' },
  AUTH_EMAIL_IN_USE: { status: 409, message: 'this e-mail address already belongs to an account of another provider; sign in with that provider' },
} as const;

/** Factories for every auth error code. */
export const authErrors = defineErrors(AUTH_ERROR_DEFINITIONS);

/** A code of the registry. */
export type AuthErrorCode = keyof typeof AUTH_ERROR_DEFINITIONS;
