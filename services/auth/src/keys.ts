import { createPrivateKey, createPublicKey, generateKeyPair, type KeyObject } from 'node:crypto';
import { chmod, mkdir, readFile, stat, unlink, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { promisify } from 'node:util';
import { calculateJwkThumbprint, type JWK } from 'jose';
import type { CheckOutcome, DoctorCheck } from '@samosachaat/service-kit';

/** Where a JWT key pair lives. */
export interface JwtKeyPaths {
  privateKeyPath: string;
  publicKeyPath: string;
}

/** A loaded, verified RS256 key pair. */
export interface JwtKeys {
  readonly privateKey: KeyObject;
  readonly publicKey: KeyObject;
  /** RFC 7638 thumbprint of the public key, sent as the `kid` header. */
  readonly kid: string;
  /** The public key as a JWK (with `kid`, `alg`, `use`), for `GET /auth/jwks`. */
  readonly publicJwk: JWK;
}

/** Why a key pair cannot be used. */
export type JwtKeyProblem = 'missing' | 'permissions' | 'invalid' | 'mismatch' | 'exists';

/** A key pair problem, naming the variable that points at the file and how to fix it. */
export class JwtKeyError extends Error {
  constructor(
    readonly problem: JwtKeyProblem,
    readonly variable: 'JWT_PRIVATE_KEY_PATH' | 'JWT_PUBLIC_KEY_PATH',
    message: string,
    readonly fix: string,
  ) {
    super(`${variable}: ${message}`);
    this.name = 'JwtKeyError';
  }
}

/** File names inside the key folder. */
export const PRIVATE_KEY_FILE = 'jwt-private.pem';
export const PUBLIC_KEY_FILE = 'jwt-public.pem';
const MIN_MODULUS_BITS = 2048;
const generateRsa = promisify(generateKeyPair);

const CREATE_FIX = 'run `samosachaat keys` to create a pair in $DATA_DIR/keys, or point JWT_PRIVATE_KEY_PATH and JWT_PUBLIC_KEY_PATH at an existing pair';

async function exists(path: string): Promise<boolean> {
  return stat(path).then(
    () => true,
    () => false,
  );
}

/**
 * Writes a new RS256 key pair to `paths` with mode 0600. Refuses to replace an existing
 * file unless `force` is set: replacing a key signs every user out.
 */
export async function writeJwtKeyPair(paths: JwtKeyPaths, options: { force?: boolean; modulusLength?: number } = {}): Promise<JwtKeyPaths> {
  const modulusLength = Math.max(options.modulusLength ?? MIN_MODULUS_BITS, MIN_MODULUS_BITS);
  for (const [variable, path] of [['JWT_PRIVATE_KEY_PATH', paths.privateKeyPath], ['JWT_PUBLIC_KEY_PATH', paths.publicKeyPath]] as const) {
    if ((await exists(path)) && !options.force) {
      throw new JwtKeyError('exists', variable, `${path} already exists; not overwriting it`, 'pass --force to replace the pair (every signed-in user will have to sign in again)');
    }
  }
  const { privateKey, publicKey } = await generateRsa('rsa', {
    modulusLength,
    publicKeyEncoding: { type: 'spki', format: 'pem' },
    privateKeyEncoding: { type: 'pkcs8', format: 'pem' },
  });
  for (const [path, pem] of [[paths.privateKeyPath, privateKey], [paths.publicKeyPath, publicKey]] as const) {
    await mkdir(dirname(path), { recursive: true, mode: 0o700 });
    if (options.force) await unlink(path).catch(() => undefined);
    // 'wx': never write through a file (or symlink) that appeared since the check above.
    await writeFile(path, pem, { mode: 0o600, flag: 'wx' });
    await chmod(path, 0o600);
  }
  return { ...paths };
}

/** Creates `jwt-private.pem` and `jwt-public.pem` (RSA ≥ 2048, mode 0600) in `dir`. */
export function generateJwtKeys(dir: string, options: { force?: boolean; modulusLength?: number } = {}): Promise<JwtKeyPaths> {
  return writeJwtKeyPair({ privateKeyPath: join(dir, PRIVATE_KEY_FILE), publicKeyPath: join(dir, PUBLIC_KEY_FILE) }, options);
}

async function readKeyFile(variable: 'JWT_PRIVATE_KEY_PATH' | 'JWT_PUBLIC_KEY_PATH', path: string, forbiddenBits: number): Promise<string> {
  let info;
  try {
    info = await stat(path);
  } catch {
    throw new JwtKeyError('missing', variable, `no key file at ${path}`, CREATE_FIX);
  }
  if (!info.isFile()) throw new JwtKeyError('invalid', variable, `${path} is not a file`, CREATE_FIX);
  const mode = info.mode & 0o777;
  if (process.platform !== 'win32' && (mode & forbiddenBits) !== 0) {
    const who = forbiddenBits === 0o077 ? 'readable by its owner only' : 'writable by its owner only';
    throw new JwtKeyError('permissions', variable, `${path} has permissions ${mode.toString(8).padStart(4, '0')}; the key must be ${who}`, `chmod 600 ${path}`);
  }
  return readFile(path, 'utf8');
}

/**
 * Loads and checks a key pair: both files present, the private key readable by its owner
 * only (mode 0600), RSA of at least 2048 bits, and the public key the private key's own.
 * Throws {@link JwtKeyError} with the variable at fault and how to fix it.
 */
export async function loadJwtKeys(paths: JwtKeyPaths): Promise<JwtKeys> {
  const privatePem = await readKeyFile('JWT_PRIVATE_KEY_PATH', paths.privateKeyPath, 0o077);
  const publicPem = await readKeyFile('JWT_PUBLIC_KEY_PATH', paths.publicKeyPath, 0o022);
  let privateKey: KeyObject;
  let publicKey: KeyObject;
  try {
    privateKey = createPrivateKey(privatePem);
  } catch {
    throw new JwtKeyError('invalid', 'JWT_PRIVATE_KEY_PATH', `${paths.privateKeyPath} is not a PEM private key`, CREATE_FIX);
  }
  try {
    publicKey = createPublicKey(publicPem);
  } catch {
    throw new JwtKeyError('invalid', 'JWT_PUBLIC_KEY_PATH', `${paths.publicKeyPath} is not a PEM public key`, CREATE_FIX);
  }
  const bits = privateKey.asymmetricKeyDetails?.modulusLength ?? 0;
  if (privateKey.asymmetricKeyType !== 'rsa' || bits < MIN_MODULUS_BITS) {
    throw new JwtKeyError('invalid', 'JWT_PRIVATE_KEY_PATH', `${paths.privateKeyPath} must be an RSA key of at least ${MIN_MODULUS_BITS} bits for RS256`, CREATE_FIX);
  }
  const derived = createPublicKey(privateKey).export({ type: 'spki', format: 'der' });
  if (!derived.equals(publicKey.export({ type: 'spki', format: 'der' }))) {
    throw new JwtKeyError('mismatch', 'JWT_PUBLIC_KEY_PATH', `${paths.publicKeyPath} is not the public half of ${paths.privateKeyPath}`, 'point both variables at files of the same pair, or create a new pair with `samosachaat keys --force`');
  }
  const jwk = publicKey.export({ format: 'jwk' }) as JWK;
  const kid = await calculateJwkThumbprint({ kty: jwk.kty, n: jwk.n, e: jwk.e } as JWK);
  return Object.freeze({ privateKey, publicKey, kid, publicJwk: Object.freeze({ ...jwk, kid, alg: 'RS256', use: 'sig' }) });
}

/** The doctor's view of a key pair: loadable, 0600, matching; with a fix when it is not. */
export async function checkJwtKeys(paths: JwtKeyPaths): Promise<CheckOutcome> {
  try {
    const keys = await loadJwtKeys(paths);
    return { ok: true, detail: `RS256 pair at ${paths.privateKeyPath} (kid ${keys.kid.slice(0, 12)}…), mode 0600, halves match` };
  } catch (err) {
    if (err instanceof JwtKeyError) return { ok: false, detail: err.message, fix: err.fix };
    throw err;
  }
}

/** A doctor check named `jwt-keys` over {@link checkJwtKeys}. */
export function jwtKeysDoctorCheck(paths: JwtKeyPaths): DoctorCheck {
  return { name: 'jwt-keys', description: 'JWT signing keys present, mode 0600, loadable as a matching pair', run: () => checkJwtKeys(paths) };
}
