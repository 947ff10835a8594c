import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { describe, it } from 'node:test';
import { generateTarget, parseRetryAfter, readErrorBody } from './inference-client.js';

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

describe('generateTarget', () => {
  it('splits INFERENCE_URL into the origin and the path of /generate, keeping a base path', () => {
    assert.deepEqual(generateTarget('http://127.0.0.1:8003'), { origin: 'http://127.0.0.1:8003', path: '/generate' });
    assert.deepEqual(generateTarget('https://gpu.internal/samosachaat/inference'), { origin: 'https://gpu.internal', path: '/samosachaat/inference/generate' });
    assert.deepEqual(generateTarget('http://inference:80/'), { origin: 'http://inference', path: '/generate' });
    // Parsed once: the same object comes back.
    assert.equal(generateTarget('http://127.0.0.1:8003'), generateTarget('http://127.0.0.1:8003'));
  });
});

describe('readErrorBody', () => {
  it('redacts a token before cutting the excerpt, so a cut never lets part of it through', async () => {
    const jwt = `eyJhbGciOiJSUzI1NiJ9.${'e'.repeat(60)}.${'s'.repeat(40)}`;
    const message = `${'x'.repeat(480)} ${jwt}`;
    const excerpt = await readErrorBody(Readable.from([Buffer.from(JSON.stringify({ error: { message } }))]));
    assert.ok(!excerpt.includes('eyJhbGci'), excerpt.slice(470));
    assert.ok(excerpt.length <= 501);
    const raw = await readErrorBody(Readable.from([Buffer.from(`plain ${jwt}`)]));
    assert.ok(!raw.includes('eyJhbGci'));
  });
});
