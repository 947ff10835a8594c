import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { REDACTED, redactFields, redactSecretShapes } from './redact.js';

describe('redactFields', () => {
  it('returns the same object when nothing is sensitive', () => {
    const obj = { method: 'GET', status_code: 200, nested: { token_count: 12, output_tokens: 3 } };
    assert.equal(redactFields(obj), obj);
  });

  it('replaces secrets under sensitive keys in any spelling, at any depth, without mutating', () => {
    const obj = { user: { apiKey: 'k1', 'X-Internal-API-Key': 'k2', client_secret: 's', refresh_token: 'r', csrfToken: 'c' }, list: [{ password: 'p' }] };
    const out = redactFields(obj);
    assert.deepEqual(out, {
      user: { apiKey: REDACTED, 'X-Internal-API-Key': REDACTED, client_secret: REDACTED, refresh_token: REDACTED, csrfToken: REDACTED },
      list: [{ password: REDACTED }],
    });
    assert.equal(obj.user.apiKey, 'k1');
    assert.equal(obj.list[0]?.password, 'p');
  });

  it('logs message text as its length only', () => {
    assert.deepEqual(redactFields({ content: 'hello', prompt: 'abc', messages: [{ role: 'user', text: 'hi' }] }), {
      content: '[REDACTED len=5]',
      prompt: '[REDACTED len=3]',
      messages: [{ role: 'user', text: '[REDACTED len=2]' }],
    });
  });

  it('keeps counts whose names merely contain "token"', () => {
    const obj = { token_count: 5, prompt_tokens: 2, max_tokens: 9 };
    assert.equal(redactFields(obj), obj);
  });
});

describe('redactSecretShapes', () => {
  it('removes JWTs, Bearer/Basic credentials, API keys and secret query parameters', () => {
    const jwt = 'eyJhbGciOiJIUzI1NiJ9.eyJzdWIiOiIxIn0.abcDEF123_-x';
    assert.equal(redactSecretShapes(`{"a":"${jwt}"}`), `{"a":"${REDACTED}"}`);
    assert.equal(redactSecretShapes('auth Bearer abc.def-ghi'), `auth Bearer ${REDACTED}`);
    assert.equal(redactSecretShapes('Basic dXNlcjpwYXNz'), `Basic ${REDACTED}`);
    assert.equal(redactSecretShapes('key sk-abcdefghijklmnop1234'), `key ${REDACTED}`);
    assert.equal(redactSecretShapes('/cb?token=xyz&state=1'), `/cb?token=${REDACTED}&state=1`);
  });

  it('never breaks the JSON of the line it rewrites', () => {
    const line = JSON.stringify({ message: 'x', url: '/a?password=p"w&api_key=k\\z', h: 'Bearer t' });
    const out = redactSecretShapes(line);
    assert.notEqual(out, line);
    const parsed = JSON.parse(out) as Record<string, string>;
    assert.equal(parsed.h, `Bearer ${REDACTED}`);
    assert.equal(parsed.url?.includes('api_key=k'), false);
  });

  it('leaves ordinary text alone', () => {
    const line = '{"message":"http_request_completed","path":"/api/conversations/42"}';
    assert.equal(redactSecretShapes(line), line);
  });
});

describe('redactSecretShapes on cut tokens', () => {
  it('removes a JWT that lost its signature (header.payload is enough to leak the claims)', () => {
    const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
    const cut = `${enc({ alg: 'RS256' })}.${enc({ email: 'ada@example.com' }).slice(0, 20)}`;
    assert.equal(redactSecretShapes(`ua ${cut}`), `ua ${REDACTED}`);
  });
});
