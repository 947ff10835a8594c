import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SlidingWindowLimiter } from './rate-limiter.js';

describe('sliding-window limiter', () => {
  it('allows max attempts per window, then refuses with the seconds until a slot frees', () => {
    let now = 1_000_000;
    const limiter = new SlidingWindowLimiter({ max: 10, windowMs: 60_000, now: () => now });
    for (let i = 0; i < 10; i++) {
      const d = limiter.hit('1.2.3.4');
      assert.equal(d.allowed, true);
      assert.equal(d.remaining, 9 - i);
      now += 1000;
    }
    // First hit at 1_000_000, now 1_010_000: it leaves the window at 1_060_000.
    assert.deepEqual(limiter.hit('1.2.3.4'), { allowed: false, remaining: 0, retryAfterSeconds: 50 });
    assert.equal(limiter.hit('5.6.7.8').allowed, true, 'another client has its own budget');
  });

  it('lets a client in again as its oldest attempts leave the window (sliding, not fixed)', () => {
    let now = 0;
    const limiter = new SlidingWindowLimiter({ max: 2, windowMs: 10_000, now: () => now });
    assert.equal(limiter.hit('k').allowed, true); // t=0
    now = 5000;
    assert.equal(limiter.hit('k').allowed, true); // t=5s
    now = 9999;
    assert.deepEqual(limiter.hit('k'), { allowed: false, remaining: 0, retryAfterSeconds: 1 });
    now = 10_000;
    assert.equal(limiter.hit('k').allowed, true, 'the t=0 attempt has left the window');
    assert.equal(limiter.hit('k').allowed, false, 'the t=5s attempt is still in it');
    now = 15_000;
    assert.equal(limiter.hit('k').allowed, true);
  });

  it('does not count refused attempts, so hammering does not extend the ban', () => {
    let now = 0;
    const limiter = new SlidingWindowLimiter({ max: 1, windowMs: 1000, now: () => now });
    limiter.hit('k');
    for (now = 1; now < 1000; now += 100) assert.equal(limiter.hit('k').allowed, false);
    now = 1000;
    assert.equal(limiter.hit('k').allowed, true);
  });

  it('keeps memory bounded under a flood of distinct clients', () => {
    let now = 0;
    const limiter = new SlidingWindowLimiter({ max: 3, windowMs: 60_000, maxKeys: 100, now: () => now });
    for (let i = 0; i < 10_000; i++) {
      limiter.hit(`10.0.${i >> 8}.${i & 255}`);
      now += 1;
    }
    assert.ok(limiter.size <= 100, `size ${limiter.size}`);
    // The most recent client is still tracked.
    limiter.hit('10.0.39.15');
    limiter.hit('10.0.39.15');
    assert.equal(limiter.hit('10.0.39.15').allowed, false);
  });

  it('refuses nonsense options at construction', () => {
    assert.throws(() => new SlidingWindowLimiter({ max: 0, windowMs: 1000 }), /max must be a positive integer/);
    assert.throws(() => new SlidingWindowLimiter({ max: 1, windowMs: 0 }), /windowMs must be positive/);
  });
});
