import { createHash, randomBytes } from 'node:crypto';

/** A PKCE pair (RFC 7636): the verifier stays with us, the challenge goes to the provider. */
export interface PkcePair {
  verifier: string;
  challenge: string;
  method: 'S256';
}

/** The S256 challenge of a verifier: base64url(SHA-256(verifier)). */
export function pkceChallenge(verifier: string): string {
  return createHash('sha256').update(verifier, 'ascii').digest('base64url');
}

/** A fresh verifier of 256 random bits (43 base64url characters) and its S256 challenge. */
export function createPkcePair(): PkcePair {
  const verifier = randomBytes(32).toString('base64url');
  return { verifier, challenge: pkceChallenge(verifier), method: 'S256' };
}

/** A fresh OAuth `state`: 256 random bits, base64url. */
export function createOAuthState(): string {
  return randomBytes(32).toString('base64url');
}
