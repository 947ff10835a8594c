/**
 * `@samosachaat/auth/doctor`: what the platform doctor needs of auth (the key files, their
 * check, a development sign-in for the answer check) without loading the service. The token
 * code and its database queries load only when a token is minted (docs/development.md).
 */
import type { TokenAnswer } from './session.js';
import type { MintDevelopmentTokenOptions } from './dev-token.js';

export { jwtKeysDoctorCheck, loadJwtKeys, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from './keys.js';
export type { JwtKeyPaths, JwtKeys } from './keys.js';

/** `mintDevelopmentToken` of `@samosachaat/auth`, loaded when first called. */
export async function mintDevelopmentToken(options: MintDevelopmentTokenOptions): Promise<TokenAnswer> {
  const { mintDevelopmentToken: mint } = await import('./dev-token.js');
  return mint(options);
}
