import type { AuthErrorCode } from '../errors.js';

/**
 * Why a sign-in did not complete. The value travels to the web app as
 * `${WEB_URL}/auth/error?reason=<reason>`, so these names are public API (plus
 * `server_error` when the service itself failed).
 */
export type OAuthFailureReason =
  | 'access_denied'
  | 'provider_error'
  | 'invalid_state'
  | 'missing_code'
  | 'token_exchange_failed'
  | 'profile_fetch_failed'
  | 'no_verified_email'
  | 'provider_unavailable'
  | 'email_in_use';

/** The error code of the JSON answer for each reason. */
export const FAILURE_CODES: Readonly<Record<OAuthFailureReason, AuthErrorCode>> = Object.freeze({
  access_denied: 'AUTH_OAUTH_DENIED',
  provider_error: 'AUTH_OAUTH_PROVIDER_ERROR',
  invalid_state: 'AUTH_OAUTH_STATE_INVALID',
  missing_code: 'AUTH_OAUTH_CODE_MISSING',
  token_exchange_failed: 'AUTH_OAUTH_TOKEN_EXCHANGE_FAILED',
  profile_fetch_failed: 'AUTH_OAUTH_PROFILE_FAILED',
  no_verified_email: 'AUTH_OAUTH_NO_VERIFIED_EMAIL',
  provider_unavailable: 'AUTH_OAUTH_PROVIDER_UNAVAILABLE',
  email_in_use: 'AUTH_EMAIL_IN_USE',
});

/**
 * A sign-in that failed for a known reason. `details` are safe, bounded log fields (the
 * provider's short error code, an HTTP status); never a token, a code or a response body.
 */
export class OAuthFailure extends Error {
  constructor(
    readonly reason: OAuthFailureReason,
    message: string,
    readonly details: Record<string, string | number> = {},
  ) {
    super(message);
    this.name = 'OAuthFailure';
  }
}
