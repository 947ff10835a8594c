import { stat } from 'node:fs/promises';
import type { Logger } from '@samosachaat/observability';
import type { AuthConfig } from './config.js';
import { JwtKeyError, loadJwtKeys, writeJwtKeyPair, type JwtKeyPaths, type JwtKeys } from './keys.js';

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
    const half = await halfPair(paths);
    if (half) throw half;
  }
  await writeJwtKeyPair(paths);
  log.info({ private_key_path: paths.privateKeyPath, public_key_path: paths.publicKeyPath }, 'jwt_keys_generated');
  return loadJwtKeys(paths);
}

/**
 * The error for a pair with one file missing, naming the missing one. Half a pair is never
 * completed or replaced here: a new pair signs every user out, so a person decides.
 */
async function halfPair(paths: JwtKeyPaths): Promise<JwtKeyError | undefined> {
  const present = async (path: string) => stat(path).then(() => true, () => false);
  const [hasPrivate, hasPublic] = await Promise.all([present(paths.privateKeyPath), present(paths.publicKeyPath)]);
  if (hasPrivate === hasPublic) return undefined;
  const [variable, missing, kept] = hasPrivate
    ? (['JWT_PUBLIC_KEY_PATH', paths.publicKeyPath, paths.privateKeyPath] as const)
    : (['JWT_PRIVATE_KEY_PATH', paths.privateKeyPath, paths.publicKeyPath] as const);
  return new JwtKeyError(
    'missing',
    variable,
    `no key file at ${missing}, but the other half of the pair, ${kept}, exists`,
    `restore ${missing}; or delete ${kept} and start again, and a new pair is created (everyone signed in must sign in again)`,
  );
}
