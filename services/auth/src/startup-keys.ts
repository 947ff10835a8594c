import type { Logger } from '@samosachaat/observability';
import type { AuthConfig } from './config.js';
import { JwtKeyError, loadJwtKeys, writeJwtKeyPair, type JwtKeys } from './keys.js';

/**
 * The signing keys a starting service uses. In local mode a pair that does not exist yet is
 * created (mode 0600) so `npm start` needs no setup; anywhere else a missing pair is an
 * error that names the variable and the `samosachaat keys` command, because generating keys
 * on each pod would give every replica a different key.
 */
export async function ensureJwtKeys(config: Pick<AuthConfig, 'localMode' | 'jwtPrivateKeyPath' | 'jwtPublicKeyPath'>, log: Logger): Promise<JwtKeys> {
  const paths = { privateKeyPath: config.jwtPrivateKeyPath, publicKeyPath: config.jwtPublicKeyPath };
  try {
    return await loadJwtKeys(paths);
  } catch (err) {
    if (!(err instanceof JwtKeyError) || err.problem !== 'missing' || !config.localMode) throw err;
  }
  // writeJwtKeyPair refuses when either file exists: half a pair is reported, never replaced.
  await writeJwtKeyPair(paths);
  log.info({ private_key_path: paths.privateKeyPath, public_key_path: paths.publicKeyPath }, 'jwt_keys_generated');
  return loadJwtKeys(paths);
}
