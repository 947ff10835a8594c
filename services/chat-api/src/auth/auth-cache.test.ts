import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { describe, it } from 'node:test';
import { AuthCache, tokenKey, type AuthUser } from './auth-cache.js';

const user = (id: string): AuthUser => ({ id, email: `${id}@x.test`, name: id, is_admin: false });

describe('AuthCache', () => {
  it('keys entries by the SHA-256 of the token, never the token', () => {
    const cache = new AuthCache(10, 60_000);
    cache.set('secret-token', user('u1'), undefined);
    assert.deepEqual(cache.keys(), [createHash('sha256').update('secret-token').digest('hex')]);
    assert.equal(tokenKey('secret-token'), cache.keys()[0]);
    assert.equal(cache.get('secret-token')?.id, 'u1');
    assert.equal(cache.get('other-token'), undefined);
  });

  it('expires entries after the TTL, or at the token expiry when sooner', () => {
    let now = 1_000_000;
    const cache = new AuthCache(10, 300_000, () => now);
    cache.set('long', user('a'), now + 3_600_000);
    cache.set('short', user('b'), now + 10_000);
    now += 9_999;
    assert.equal(cache.get('short')?.id, 'b');
    now += 1;
    assert.equal(cache.get('short'), undefined);
    assert.equal(cache.size, 1, 'an expired entry is dropped when read');
    now += 290_000;
    assert.equal(cache.get('long'), undefined);
  });

  it('never stores a token that is already expired, nor anything when TTL or size is 0', () => {
    const now = 5000;
    const cache = new AuthCache(10, 60_000, () => now);
    cache.set('stale', user('a'), now - 1);
    assert.equal(cache.size, 0);
    const noTtl = new AuthCache(10, 0);
    noTtl.set('t', user('a'), undefined);
    assert.equal(noTtl.size, 0);
    const noRoom = new AuthCache(0, 60_000);
    noRoom.set('t', user('a'), undefined);
    assert.equal(noRoom.size, 0);
  });

  it('evicts the least recently used entry beyond its size', () => {
    const cache = new AuthCache(2, 60_000);
    cache.set('a', user('a'), undefined);
    cache.set('b', user('b'), undefined);
    assert.equal(cache.get('a')?.id, 'a');
    cache.set('c', user('c'), undefined);
    assert.equal(cache.get('b'), undefined, 'b was least recently used');
    assert.equal(cache.get('a')?.id, 'a');
    assert.equal(cache.get('c')?.id, 'c');
    cache.set('a', user('a2'), undefined);
    assert.equal(cache.size, 2);
    assert.equal(cache.get('a')?.id, 'a2');
  });
});
