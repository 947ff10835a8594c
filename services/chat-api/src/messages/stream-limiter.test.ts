import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { StreamLimiter } from './stream-limiter.js';

describe('StreamLimiter', () => {
  it('grants up to the limit per user; releasing (once) frees a slot', () => {
    const limiter = new StreamLimiter(2);
    const a1 = limiter.tryAcquire('a');
    const a2 = limiter.tryAcquire('a');
    assert.ok(a1 && a2);
    assert.equal(limiter.tryAcquire('a'), undefined);
    assert.ok(limiter.tryAcquire('b'), 'other users are counted apart');
    a1();
    a1();
    assert.equal(limiter.count('a'), 1, 'a second release of the same slot is ignored');
    assert.ok(limiter.tryAcquire('a'));
    assert.equal(limiter.tryAcquire('a'), undefined);
  });
});
