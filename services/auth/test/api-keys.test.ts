/**
 * Per-user API keys (README "Use the API"): created and shown once, listed by prefix, revoked,
 * user-scoped, validated through POST /auth/validate, stored as a SHA-256 only, never logged.
 */
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, it } from 'node:test';
import { describeOnDatabases } from './support/databases.js';
import { startHarness, type Harness } from './support/harness.js';

describeOnDatabases('API keys', (handle) => {
  let h: Harness;
  let alice: string;
  let bob: string;
  before(async () => {
    h = await startHarness(handle.db, { SAMOSACHAAT_LOCAL: 'true' });
    const login = async (email: string) => (await h.app.inject({ method: 'POST', url: '/auth/dev-login', payload: { email } })).json().access_token as string;
    alice = await login('alice-keys@example.com');
    bob = await login('bob-keys@example.com');
  });
  after(() => h.close());

  const as = (token: string | undefined) => (token ? { authorization: `Bearer ${token}` } : {});
  const validate = (token: string) => h.app.inject({ method: 'POST', url: '/auth/validate', headers: { 'x-internal-api-key': h.internalApiKey }, payload: { token } });

  it('creates a key shown once, stores only its hash, lists it by prefix for its owner only, validates it, revokes it', async () => {
    const created = await h.app.inject({ method: 'POST', url: '/auth/keys', headers: as(alice), payload: { name: '  laptop ' } });
    assert.equal(created.statusCode, 201);
    assert.equal(created.headers['cache-control'], 'no-store');
    const key = created.json() as { id: string; key: string; prefix: string; name: string; created_at: string };
    assert.match(key.key, /^sk-sc-[A-Za-z0-9_-]{43}$/);
    assert.equal(key.name, 'laptop');
    assert.equal(key.prefix, key.key.slice(0, 14));

    const { rows } = await handle.db.query<{ key_hash: string; prefix: string }>('SELECT key_hash, prefix FROM api_keys WHERE id = $1', [key.id]);
    assert.deepEqual(rows, [{ key_hash: createHash('sha256').update(key.key).digest('hex'), prefix: key.prefix }]);

    const listed = await h.app.inject({ url: '/auth/keys', headers: as(alice) });
    assert.deepEqual(listed.json(), { keys: [{ id: key.id, name: 'laptop', prefix: key.prefix, created_at: key.created_at }] });
    assert.deepEqual((await h.app.inject({ url: '/auth/keys', headers: as(bob) })).json(), { keys: [] });

    const valid = await validate(key.key);
    assert.equal(valid.statusCode, 200);
    assert.equal(valid.json().api_key_id, key.id);
    assert.equal(valid.json().user.email, 'alice-keys@example.com');
    assert.equal(valid.json().expires_at, undefined, 'a key has no expiry of its own');

    // The same prefix with another secret is refused: the hash decides, not the prefix.
    const forged = `${key.key.slice(0, 14)}${'A'.repeat(35)}`;
    assert.equal((await validate(forged)).statusCode, 401);
    assert.equal((await validate(forged)).json().error.code, 'AUTH_API_KEY_INVALID');

    assert.equal((await h.app.inject({ method: 'DELETE', url: `/auth/keys/${key.id}`, headers: as(bob) })).statusCode, 404, 'bob cannot revoke it');
    assert.equal((await validate(key.key)).statusCode, 200);
    const revoked = await h.app.inject({ method: 'DELETE', url: `/auth/keys/${key.id}`, headers: as(alice) });
    assert.equal(revoked.statusCode, 204);
    assert.equal((await validate(key.key)).statusCode, 401);
    assert.deepEqual((await h.app.inject({ url: '/auth/keys', headers: as(alice) })).json(), { keys: [] });
    const again = await h.app.inject({ method: 'DELETE', url: `/auth/keys/${key.id}`, headers: as(alice) });
    assert.equal(again.statusCode, 404);
    assert.equal(again.json().error.code, 'AUTH_API_KEY_NOT_FOUND');

    assert.ok(h.logs.find('api_key_created').length >= 1);
    assert.equal(h.logs.text().includes(key.key), false, 'the key never reaches the log');
    assert.equal(h.logs.text().includes(key.key.slice(14)), false, 'nor its secret part');
  });

  it('refuses without a token, a bad name, a bad id, unknown fields and an API key as the credential', async () => {
    assert.equal((await h.app.inject({ url: '/auth/keys' })).statusCode, 401);
    assert.equal((await h.app.inject({ method: 'POST', url: '/auth/keys', payload: {} })).statusCode, 401);
    const badName = await h.app.inject({ method: 'POST', url: '/auth/keys', headers: as(alice), payload: { name: '' } });
    assert.equal(badName.statusCode, 400);
    assert.equal(badName.json().error.code, 'AUTH_INVALID_KEY_NAME');
    assert.equal((await h.app.inject({ method: 'POST', url: '/auth/keys', headers: as(alice), payload: { name: 'x', user_id: 'someone' } })).statusCode, 400);
    assert.equal((await h.app.inject({ method: 'DELETE', url: '/auth/keys/not-a-uuid', headers: as(alice) })).statusCode, 404);
    const key = (await h.app.inject({ method: 'POST', url: '/auth/keys', headers: as(alice), payload: {} })).json().key as string;
    assert.equal((await h.app.inject({ url: '/auth/keys', headers: as(key) })).statusCode, 401, 'a key cannot manage keys');
  });
});
