import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeNetworkError, failureReason, statusReason } from './upstream-errors.js';

function coded(code: string): Error {
  return Object.assign(new Error(code), { code });
}

describe('upstream failure reasons', () => {
  it('classifies fetch and undici errors into bounded reasons', () => {
    assert.equal(failureReason(new DOMException('timed out', 'TimeoutError')), 'timeout');
    assert.equal(failureReason(coded('UND_ERR_HEADERS_TIMEOUT')), 'timeout');
    assert.equal(failureReason(coded('UND_ERR_BODY_TIMEOUT')), 'timeout');
    assert.equal(failureReason(coded('ECONNREFUSED')), 'connect');
    assert.equal(failureReason(new TypeError('fetch failed', { cause: coded('ECONNREFUSED') })), 'connect');
    assert.equal(failureReason(new TypeError('fetch failed', { cause: coded('UND_ERR_CONNECT_TIMEOUT') })), 'timeout');
    assert.equal(failureReason(coded('UND_ERR_SOCKET')), 'stream_error');
    assert.equal(failureReason(new Error('other side closed')), 'stream_error');
    assert.equal(failureReason(null), 'stream_error');
    assert.equal(statusReason(502), 'status_5xx');
    assert.equal(statusReason(403), 'status_4xx');
  });

  it('describes an error with its cause', () => {
    assert.equal(describeNetworkError(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:9') })), 'fetch failed: connect ECONNREFUSED 127.0.0.1:9');
    assert.equal(describeNetworkError('plain'), 'plain');
  });
});
