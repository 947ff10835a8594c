import { hkdfSync } from 'node:crypto';
import { EncryptJWT, jwtDecrypt } from 'jose';

/** How long a sign-in may take between leaving for the provider and coming back. */
export const OAUTH_COOKIE_TTL_SECONDS = 600;

/** What travels, encrypted, in the OAuth cookie between login and callback. */
export interface OAuthFlowState {
  provider: string;
  state: string;
  verifier: string;
}

const SALT = 'samosachaat-auth';
const INFO = 'oauth-flow-cookie/v1';

/**
 * The 256-bit key that seals the OAuth cookie, derived with HKDF-SHA256 from a secret
 * (AUTH_COOKIE_SECRET, else INTERNAL_API_KEY). Every instance that shares the secret
 * derives the same key, so the flow needs no server-side session.
 */
export function deriveCookieKey(secret: string): Uint8Array {
  return new Uint8Array(hkdfSync('sha256', secret, SALT, INFO, 32));
}

/** Encrypts and authenticates the flow state (JWE `dir` + A256GCM) with an expiry. */
export async function sealFlowState(key: Uint8Array, flow: OAuthFlowState, options: { now?: number; ttlSeconds?: number } = {}): Promise<string> {
  const iat = Math.floor((options.now ?? Date.now()) / 1000);
  return new EncryptJWT({ p: flow.provider, s: flow.state, v: flow.verifier })
    .setProtectedHeader({ alg: 'dir', enc: 'A256GCM' })
    .setIssuedAt(iat)
    .setExpirationTime(iat + (options.ttlSeconds ?? OAUTH_COOKIE_TTL_SECONDS))
    .encrypt(key);
}

/**
 * Opens a sealed flow state; undefined when it was tampered with, sealed with another key,
 * expired or malformed — the caller only needs to know it cannot be trusted.
 */
export async function openFlowState(key: Uint8Array, sealed: string, options: { now?: number } = {}): Promise<OAuthFlowState | undefined> {
  if (sealed.length === 0 || sealed.length > 4096) return undefined;
  try {
    const { payload } = await jwtDecrypt(sealed, key, {
      keyManagementAlgorithms: ['dir'],
      contentEncryptionAlgorithms: ['A256GCM'],
      currentDate: options.now === undefined ? undefined : new Date(options.now),
    });
    const { p, s, v } = payload;
    if (typeof p !== 'string' || typeof s !== 'string' || typeof v !== 'string') return undefined;
    return { provider: p, state: s, verifier: v };
  } catch {
    return undefined;
  }
}
