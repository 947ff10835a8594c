import assert from 'node:assert/strict';
import { mkdtemp, rm, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { Writable } from 'node:stream';
import { after, before, describe, it } from 'node:test';
import { createLogger } from '@samosachaat/observability';
import { JwtKeyError, PRIVATE_KEY_FILE, PUBLIC_KEY_FILE } from './keys.js';
import { ensureJwtKeys } from './startup-keys.js';

let dir: string;
before(async () => {
  dir = await mkdtemp(join(tmpdir(), 'auth-startup-keys-'));
});
after(async () => {
  await rm(dir, { recursive: true, force: true });
});

const lines: Array<Record<string, unknown>> = [];
const { logger: log } = createLogger({
  service: 'auth',
  destination: new Writable({
    write(chunk: Buffer, _encoding, done) {
      for (const line of chunk.toString().split('\n')) if (line) lines.push(JSON.parse(line) as Record<string, unknown>);
      done();
    },
  }),
});

function config(folder: string, localMode = true) {
  return { localMode, jwtPrivateKeyPath: join(folder, PRIVATE_KEY_FILE), jwtPublicKeyPath: join(folder, PUBLIC_KEY_FILE) };
}

describe('ensureJwtKeys', () => {
  it('creates a 0600 pair in local mode when neither file exists, and loads it again on the next start', async () => {
    const folder = join(dir, 'fresh');
    const first = await ensureJwtKeys(config(folder), log);
    assert.equal((await stat(join(folder, PRIVATE_KEY_FILE))).mode & 0o777, 0o600);
    assert.equal((await ensureJwtKeys(config(folder), log)).kid, first.kid);
    // Logged once, with the paths (pino writes asynchronously: give it a turn).
    await new Promise((r) => setImmediate(r));
    assert.deepEqual(lines.filter((l) => l['message'] === 'jwt_keys_generated').map((l) => l['private_key_path']), [join(folder, PRIVATE_KEY_FILE)]);
  });

  it('names the missing half of a pair and never suggests a --force the service does not have', async () => {
    const folder = join(dir, 'half');
    await ensureJwtKeys(config(folder), log);
    await rm(join(folder, PRIVATE_KEY_FILE));
    await assert.rejects(ensureJwtKeys(config(folder), log), (err: unknown) => {
      assert.ok(err instanceof JwtKeyError);
      assert.equal(err.variable, 'JWT_PRIVATE_KEY_PATH');
      assert.equal(err.message, `JWT_PRIVATE_KEY_PATH: no key file at ${join(folder, PRIVATE_KEY_FILE)}, but the other half of the pair, ${join(folder, PUBLIC_KEY_FILE)}, exists`);
      assert.match(err.fix, /^restore .*jwt-private\.pem; or delete .*jwt-public\.pem and start again/);
      assert.doesNotMatch(err.fix, /--force/);
      return true;
    });
    // Nothing was replaced: the public half is still the old one, and no private key appeared.
    await assert.rejects(stat(join(folder, PRIVATE_KEY_FILE)), { code: 'ENOENT' });
  });

  it('names JWT_PUBLIC_KEY_PATH when only the public half is missing', async () => {
    const folder = join(dir, 'other-half');
    await ensureJwtKeys(config(folder), log);
    await rm(join(folder, PUBLIC_KEY_FILE));
    await assert.rejects(ensureJwtKeys(config(folder), log), (err: unknown) => err instanceof JwtKeyError && err.variable === 'JWT_PUBLIC_KEY_PATH' && !err.fix.includes('--force'));
  });

  it('creates nothing outside local mode', async () => {
    const folder = join(dir, 'production');
    await assert.rejects(ensureJwtKeys(config(folder, false), log), (err: unknown) => err instanceof JwtKeyError && err.variable === 'JWT_PRIVATE_KEY_PATH' && /samosachaat keys/.test(err.fix));
    await assert.rejects(stat(join(folder, PRIVATE_KEY_FILE)), { code: 'ENOENT' });
  });
});
