import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { errorAnswerApp } from '@samosachaat/service-kit/testing';
import { AUTH_ERROR_DEFINITIONS, authErrors } from './errors.js';
import { FAILURE_CODES } from './oauth/failure.js';

// A bare app with the service kit's plugins: what a client gets when a handler throws.
const errors = await errorAnswerApp('auth');
after(() => errors.close());
const answerTo = errors.answerTo;

describe('auth error registry', () => {
  it('says something different for each code', () => {
    const messages = Object.values(AUTH_ERROR_DEFINITIONS).map((d) => d.message);
    assert.equal(new Set(messages).size, messages.length);
  });

  it('maps every OAuth failure reason to a registered code', () => {
    for (const code of Object.values(FAILURE_CODES)) assert.ok(code in AUTH_ERROR_DEFINITIONS, code);
  });

  it('answers a 4xx with its message and a 5xx without its detail', async () => {
    const expired = await answerTo(authErrors.AUTH_TOKEN_EXPIRED());
    assert.deepEqual([expired.status, expired.error.code, expired.error.message], [401, 'AUTH_TOKEN_EXPIRED', AUTH_ERROR_DEFINITIONS.AUTH_TOKEN_EXPIRED.message]);
    const profile = await answerTo(authErrors.AUTH_OAUTH_PROFILE_FAILED('github answered 500 with a stack trace'));
    assert.deepEqual([profile.status, profile.error.code, profile.error.message], [502, 'AUTH_OAUTH_PROFILE_FAILED', 'internal server error']);
  });

  it('answers the login limit as 429 with Retry-After', async () => {
    const res = await answerTo(authErrors.AUTH_RATE_LIMITED({ message: 'too many login attempts from this address; try again in 42 s', retryAfterSeconds: 42 }));
    assert.deepEqual([res.status, res.error.code, res.retryAfter], [429, 'AUTH_RATE_LIMITED', '42']);
    assert.match(res.error.message, /42 s/);
  });
});
