import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseRetryAfter } from './inference-client.js';

describe('parseRetryAfter', () => {
  it('reads seconds or an HTTP date, bounded to 1..3600, 5 by default', () => {
    const now = Date.parse('2026-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('7', now), 7);
    assert.equal(parseRetryAfter(['12'], now), 12);
    assert.equal(parseRetryAfter('0', now), 1);
    assert.equal(parseRetryAfter('999999', now), 3600);
    assert.equal(parseRetryAfter('Thu, 01 Jan 2026 00:00:30 GMT', now), 30);
    assert.equal(parseRetryAfter('soon', now), 5);
    assert.equal(parseRetryAfter(undefined, now), 5);
  });
});
