import { errors, jwtVerify, SignJWT } from 'jose';
import type { AuthErrorCode } from './errors.js';
import type { JwtKeys } from './keys.js';

/** The `iss` of every access token. */
export const ISSUER = 'samosachaat-auth';
/** Default lifetime of an access token (ACCESS_TOKEN_TTL_SECONDS). */
export const DEFAULT_ACCESS_TOKEN_TTL_SECONDS = 3600;
/** Longest token string the service will try to verify. */
export const MAX_TOKEN_LENGTH = 8192;

/** The claims of an access token. */
export interface AccessTokenClaims {
  sub: string;
  email: string;
  name: string | null;
  iat: number;
  exp: number;
  iss: typeof ISSUER;
}

/** A freshly signed access token. */
export interface SignedAccessToken {
  token: string;
  /** Lifetime in seconds, as `expires_in` of an OAuth token answer. */
  expiresIn: number;
  /** The `exp` claim: epoch seconds. */
  expiresAt: number;
}

/** Who a token is for. */
export interface TokenSubject {
  id: string;
  email: string;
  name: string | null;
}

/**
 * Signs an RS256 access token (issuer `samosachaat-auth`, `kid` = the key's thumbprint) for
 * `user`. `now` (epoch milliseconds) exists for tests that need a token from the past.
 */
export async function signAccessToken(keys: JwtKeys, user: TokenSubject, options: { ttlSeconds?: number; now?: number } = {}): Promise<SignedAccessToken> {
  const ttl = options.ttlSeconds ?? DEFAULT_ACCESS_TOKEN_TTL_SECONDS;
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  const exp = iat + ttl;
  const token = await new SignJWT({ email: user.email, name: user.name })
    .setProtectedHeader({ alg: 'RS256', typ: 'JWT', kid: keys.kid })
    .setSubject(user.id)
    .setIssuer(ISSUER)
    .setIssuedAt(iat)
    .setExpirationTime(exp)
    .sign(keys.privateKey);
  return { token, expiresIn: ttl, expiresAt: exp };
}

/** The verdict on a presented token. */
export type TokenVerdict =
  | { valid: true; claims: AccessTokenClaims }
  | { valid: false; code: AuthErrorCode; outcome: 'invalid' | 'expired' };

const UUID_SHAPE = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/i;

function rejection(err: unknown): TokenVerdict {
  if (err instanceof errors.JWTExpired) return { valid: false, code: 'AUTH_TOKEN_EXPIRED', outcome: 'expired' };
  if (err instanceof errors.JWSSignatureVerificationFailed) return { valid: false, code: 'AUTH_TOKEN_INVALID_SIGNATURE', outcome: 'invalid' };
  if (err instanceof errors.JWTClaimValidationFailed) return { valid: false, code: err.claim === 'iss' ? 'AUTH_TOKEN_WRONG_ISSUER' : 'AUTH_TOKEN_INVALID', outcome: 'invalid' };
  if (err instanceof errors.JOSEAlgNotAllowed || err instanceof errors.JOSENotSupported) return { valid: false, code: 'AUTH_TOKEN_INVALID', outcome: 'invalid' };
  if (err instanceof errors.JOSEError) return { valid: false, code: 'AUTH_TOKEN_MALFORMED', outcome: 'invalid' };
  throw err;
}

/**
 * Verifies signature (RS256 only, so `alg: none` and HMAC confusion are refused), issuer,
 * expiry and the claims the service relies on. Never throws for a bad token: it says why.
 */
export async function verifyAccessToken(keys: JwtKeys, token: string, options: { now?: number } = {}): Promise<TokenVerdict> {
  if (token.length === 0 || token.length > MAX_TOKEN_LENGTH) return { valid: false, code: 'AUTH_TOKEN_MALFORMED', outcome: 'invalid' };
  let payload;
  try {
    ({ payload } = await jwtVerify(token, keys.publicKey, {
      issuer: ISSUER,
      algorithms: ['RS256'],
      requiredClaims: ['sub', 'exp', 'iat'],
      currentDate: options.now === undefined ? undefined : new Date(options.now),
    }));
  } catch (err) {
    return rejection(err);
  }
  const { sub, email, name, iat, exp } = payload;
  if (typeof sub !== 'string' || !UUID_SHAPE.test(sub) || typeof email !== 'string' || (name !== null && typeof name !== 'string') || typeof iat !== 'number' || typeof exp !== 'number') {
    return { valid: false, code: 'AUTH_TOKEN_INVALID', outcome: 'invalid' };
  }
  return { valid: true, claims: { sub, email, name: name ?? null, iat, exp, iss: ISSUER } };
}
