import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { describeUpstreamFailure, networkFailureCode, readExcerpt, retryAfterSeconds, statusFailureCode } from './upstream-errors.js';

const U = 'http://vllm:8000/v1';

function coded(code: string, message = 'boom'): Error {
  return Object.assign(new Error(message), { code });
}

describe('describeUpstreamFailure', () => {
  it('says what went wrong, by error code, without the cause object', () => {
    assert.equal(describeUpstreamFailure(coded('ECONNREFUSED'), U, 1000), 'cannot reach the upstream at http://vllm:8000/v1: connection refused');
    assert.equal(describeUpstreamFailure(coded('ENOTFOUND'), U, 1000), 'cannot reach the upstream at http://vllm:8000/v1: host not found');
    assert.equal(describeUpstreamFailure(Object.assign(new Error('fetch failed'), { cause: { code: 'EAI_AGAIN' } }), U, 1000), 'cannot reach the upstream at http://vllm:8000/v1: host not found');
    assert.equal(describeUpstreamFailure(coded('UND_ERR_CONNECT_TIMEOUT'), U, 1000), 'cannot reach the upstream at http://vllm:8000/v1: connect timed out');
    assert.equal(describeUpstreamFailure(coded('UND_ERR_HEADERS_TIMEOUT'), U, 1500), 'the upstream at http://vllm:8000/v1 sent no response within 1500 ms');
    assert.equal(describeUpstreamFailure(coded('UND_ERR_BODY_TIMEOUT'), U, 1500), 'the upstream at http://vllm:8000/v1 sent nothing for 1500 ms mid-stream');
    assert.equal(describeUpstreamFailure(coded('ECONNRESET', 'read ECONNRESET'), U, 1, true), 'the upstream connection dropped mid-stream (read ECONNRESET)');
    assert.equal(describeUpstreamFailure(coded('UND_ERR_SOCKET', 'other side closed'), U, 1), 'the upstream at http://vllm:8000/v1 closed the connection (other side closed)');
    assert.equal(describeUpstreamFailure(Object.assign(new Error('t'), { name: 'TimeoutError' }), U, 5000), 'the upstream at http://vllm:8000/v1 did not answer within 5000 ms');
    assert.equal(describeUpstreamFailure(new Error('weird'), U, 1), 'the upstream request to http://vllm:8000/v1 failed: weird');
    assert.equal(describeUpstreamFailure('text', U, 1, true), 'the upstream stream failed mid-stream: text');
  });
});

describe('readExcerpt', () => {
  it('keeps the start of a body on one line and bounds it', async () => {
    assert.equal(await readExcerpt(Readable.from([Buffer.from('{"error":\n  "bad')]), 300), '{"error": "bad');
    assert.equal(await readExcerpt(Readable.from([Buffer.from('x'.repeat(50))]), 10), `${'x'.repeat(10)}…`);
    assert.equal(await readExcerpt(Readable.from([]), 10), '(empty body)');
    const failing = new Readable({ read() { this.push(Buffer.from('partial')); this.destroy(new Error('reset')); } });
    assert.equal(await readExcerpt(failing, 100), 'partial');
  });
});

describe('failure codes (what chat-api turns into 503, 502 or 504)', () => {
  it('codes an upstream status: 429 rate-limited, 5xx unavailable, 408/504 timeout, other 4xx refused', () => {
    assert.equal(statusFailureCode(429), 'INFERENCE_UPSTREAM_RATE_LIMITED');
    for (const status of [500, 502, 503]) assert.equal(statusFailureCode(status), 'INFERENCE_UPSTREAM_UNAVAILABLE', String(status));
    for (const status of [408, 504]) assert.equal(statusFailureCode(status), 'INFERENCE_GENERATION_TIMEOUT', String(status));
    for (const status of [400, 401, 403, 404, 422]) assert.equal(statusFailureCode(status), 'INFERENCE_UPSTREAM_REFUSED', String(status));
  });

  it('codes a call that got no answer: timeouts apart, the rest unreachable', () => {
    assert.equal(networkFailureCode(coded('UND_ERR_HEADERS_TIMEOUT')), 'INFERENCE_GENERATION_TIMEOUT');
    assert.equal(networkFailureCode(Object.assign(new Error('t'), { name: 'TimeoutError' })), 'INFERENCE_GENERATION_TIMEOUT');
    assert.equal(networkFailureCode(coded('ECONNREFUSED')), 'INFERENCE_UPSTREAM_UNAVAILABLE');
    assert.equal(networkFailureCode(Object.assign(new Error('fetch failed'), { cause: { code: 'ENOTFOUND' } })), 'INFERENCE_UPSTREAM_UNAVAILABLE');
  });

  it('reads Retry-After as seconds or an HTTP date, bounded to an hour, undefined when absent or unreadable', () => {
    assert.equal(retryAfterSeconds('20'), 20);
    assert.equal(retryAfterSeconds(['7', '9']), 7);
    assert.equal(retryAfterSeconds('0'), 1);
    assert.equal(retryAfterSeconds('999999'), 3600);
    assert.equal(retryAfterSeconds(new Date(Date.UTC(2026, 0, 1, 0, 0, 30)).toUTCString(), Date.UTC(2026, 0, 1)), 30);
    assert.equal(retryAfterSeconds(undefined), undefined);
    assert.equal(retryAfterSeconds('soon'), undefined);
  });
});
