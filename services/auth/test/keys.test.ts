import assert from 'node:assert/strict';
import { chmod, mkdtemp, readFile, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { createPrivateKey } from 'node:crypto';
import { checkJwtKeys, generateJwtKeys, JwtKeyError, jwtKeysDoctorCheck, loadJwtKeys } from '../src/index.js';

async function keyError(promise: Promise<unknown>): Promise<JwtKeyError> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof JwtKeyError, `expected a JwtKeyError, got ${String(err)}`);
    return err;
  }
  assert.fail('the keys were accepted');
}

describe('JWT key files', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'auth-keys-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('generates an RSA ≥ 2048 pair with mode 0600 that loads as a matching pair', async () => {
    const paths = await generateJwtKeys(join(dir, 'fresh', 'keys'));
    assert.equal(paths.privateKeyPath, join(dir, 'fresh', 'keys', 'jwt-private.pem'));
    assert.equal(paths.publicKeyPath, join(dir, 'fresh', 'keys', 'jwt-public.pem'));
    for (const path of [paths.privateKeyPath, paths.publicKeyPath]) assert.equal((await stat(path)).mode & 0o777, 0o600, path);
    assert.ok((createPrivateKey(await readFile(paths.privateKeyPath, 'utf8')).asymmetricKeyDetails?.modulusLength ?? 0) >= 2048);
    const keys = await loadJwtKeys(paths);
    assert.match(keys.kid, /^[A-Za-z0-9_-]{43}$/);
    assert.equal(keys.publicJwk.kid, keys.kid);
    assert.equal(keys.publicJwk.alg, 'RS256');
    assert.equal('d' in keys.publicJwk, false, 'the published JWK holds no private part');
    const check = await checkJwtKeys(paths);
    assert.equal(check.ok, true);
    assert.match(check.detail, /mode 0600/);
  });

  it('refuses to overwrite an existing pair unless forced', async () => {
    const target = join(dir, 'existing');
    const paths = await generateJwtKeys(target);
    const before = await readFile(paths.privateKeyPath, 'utf8');
    const err = await keyError(generateJwtKeys(target));
    assert.equal(err.problem, 'exists');
    assert.match(err.fix, /--force/);
    assert.equal(await readFile(paths.privateKeyPath, 'utf8'), before, 'untouched');
    await generateJwtKeys(target, { force: true });
    assert.notEqual(await readFile(paths.privateKeyPath, 'utf8'), before);
    assert.equal((await stat(paths.privateKeyPath)).mode & 0o777, 0o600);
  });

  it('refuses a private key readable by others, naming the variable and the chmod that fixes it', async () => {
    const paths = await generateJwtKeys(join(dir, 'loose'));
    await chmod(paths.privateKeyPath, 0o644);
    const err = await keyError(loadJwtKeys(paths));
    assert.equal(err.problem, 'permissions');
    assert.equal(err.variable, 'JWT_PRIVATE_KEY_PATH');
    assert.match(err.message, /^JWT_PRIVATE_KEY_PATH: .* has permissions 0644; the key must be readable by its owner only$/);
    assert.equal(err.fix, `chmod 600 ${paths.privateKeyPath}`);
    const check = await checkJwtKeys(paths);
    assert.equal(check.ok, false);
    assert.equal(check.fix, `chmod 600 ${paths.privateKeyPath}`);
    await chmod(paths.privateKeyPath, 0o640);
    assert.equal((await keyError(loadJwtKeys(paths))).problem, 'permissions', 'group-readable is refused too');
    await chmod(paths.privateKeyPath, 0o600);
    await chmod(paths.publicKeyPath, 0o666);
    assert.equal((await keyError(loadJwtKeys(paths))).variable, 'JWT_PUBLIC_KEY_PATH', 'a world-writable public key could be swapped');
    await chmod(paths.publicKeyPath, 0o644);
    await loadJwtKeys(paths);
  });

  it('refuses halves of different pairs, missing files and junk, and says how to fix it', async () => {
    const a = await generateJwtKeys(join(dir, 'a'));
    const b = await generateJwtKeys(join(dir, 'b'));
    const mismatch = await keyError(loadJwtKeys({ privateKeyPath: a.privateKeyPath, publicKeyPath: b.publicKeyPath }));
    assert.equal(mismatch.problem, 'mismatch');
    assert.equal(mismatch.variable, 'JWT_PUBLIC_KEY_PATH');

    const missing = await keyError(loadJwtKeys({ privateKeyPath: join(dir, 'nope.pem'), publicKeyPath: b.publicKeyPath }));
    assert.equal(missing.problem, 'missing');
    assert.match(missing.fix, /samosachaat keys/);

    const junk = join(dir, 'junk.pem');
    await writeFile(junk, 'not a key', { mode: 0o600 });
    assert.equal((await keyError(loadJwtKeys({ privateKeyPath: junk, publicKeyPath: b.publicKeyPath }))).problem, 'invalid');

    const check = await jwtKeysDoctorCheck({ privateKeyPath: join(dir, 'nope.pem'), publicKeyPath: b.publicKeyPath }).run({ signal: new AbortController().signal, timeoutMs: 1000 });
    assert.equal(check.ok, false);
    assert.match(check.detail, /^JWT_PRIVATE_KEY_PATH: no key file at/);
    assert.match(check.fix ?? '', /samosachaat keys/);
  });
});
