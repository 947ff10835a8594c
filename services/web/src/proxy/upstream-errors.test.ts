import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeNetworkError, failureReason, upstreamError } from './upstream-errors.js';

describe('upstream errors', () => {
  it('classifies network errors of undici and of fetch (wrapped in cause)', () => {
    assert.equal(failureReason(Object.assign(new Error('x'), { code: 'ECONNREFUSED' })), 'connect');
    assert.equal(failureReason(new TypeError('fetch failed', { cause: Object.assign(new Error('y'), { code: 'ENOTFOUND' }) })), 'connect');
    assert.equal(failureReason(Object.assign(new Error('z'), { code: 'UND_ERR_HEADERS_TIMEOUT' })), 'timeout');
    assert.equal(failureReason(new DOMException('t', 'TimeoutError')), 'timeout');
    assert.equal(failureReason(Object.assign(new Error('reset'), { code: 'ECONNRESET' })), 'stream_error');
    assert.equal(failureReason(null), 'stream_error');
  });

  it('describes an error with its cause, and maps reasons to 503, 504 and 502', () => {
    assert.equal(describeNetworkError(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED') })), 'fetch failed: connect ECONNREFUSED');
    assert.equal(describeNetworkError(Object.assign(new Error(''), { code: 'EPIPE' })), 'EPIPE');
    assert.equal(describeNetworkError('plain'), 'plain');
    const down = upstreamError('auth', 'connect');
    assert.deepEqual([down.statusCode, down.code, down.retryAfterSeconds], [503, 'WEB_UPSTREAM_UNAVAILABLE', 2]);
    assert.match(down.message, /^auth is unavailable/);
    assert.equal(upstreamError('auth', 'timeout').statusCode, 504);
    assert.equal(upstreamError('chat-api', 'stream_error').statusCode, 502);
  });
});
