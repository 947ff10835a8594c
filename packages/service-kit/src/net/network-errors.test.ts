import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeNetworkError, networkFailure } from './network-errors.js';

const withCode = (message: string, code: string) => Object.assign(new Error(message), { code });

describe('networkFailure', () => {
  it('reads undici codes on the error and fetch causes', () => {
    assert.equal(networkFailure(withCode('refused', 'ECONNREFUSED')), 'connect');
    assert.equal(networkFailure(new TypeError('fetch failed', { cause: withCode('no dns', 'ENOTFOUND') })), 'connect');
    assert.equal(networkFailure(withCode('slow', 'UND_ERR_HEADERS_TIMEOUT')), 'timeout');
    assert.equal(networkFailure(Object.assign(new Error('aborted'), { name: 'TimeoutError' })), 'timeout');
    assert.equal(networkFailure(new TypeError('fetch failed', { cause: withCode('slow', 'ETIMEDOUT') })), 'timeout');
    assert.equal(networkFailure(withCode('reset', 'ECONNRESET')), 'stream_error');
    assert.equal(networkFailure(null), 'stream_error');
  });
});

describe('describeNetworkError', () => {
  it('gives the message and its cause, or the code, or the value', () => {
    assert.equal(describeNetworkError(new TypeError('fetch failed', { cause: new Error('connect ECONNREFUSED 127.0.0.1:1') })), 'fetch failed: connect ECONNREFUSED 127.0.0.1:1');
    assert.equal(describeNetworkError(Object.assign(new Error(''), { code: 'UND_ERR_SOCKET' })), 'UND_ERR_SOCKET');
    assert.equal(describeNetworkError('plain'), 'plain');
  });
});
