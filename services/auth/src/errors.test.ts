import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError } from '@samosachaat/service-kit';
import { AUTH_ERROR_DEFINITIONS, authErrors, rateLimitedError } from './errors.js';
import { FAILURE_CODES } from './oauth/failure.js';

describe('auth error registry', () => {
  it('has unique AUTH_ codes whose factories raise exactly that code and status', () => {
    const codes = Object.keys(AUTH_ERROR_DEFINITIONS);
    assert.equal(new Set(codes.map((c) => c.toUpperCase())).size, codes.length);
    const messages = Object.values(AUTH_ERROR_DEFINITIONS).map((d) => d.message);
    assert.equal(new Set(messages).size, messages.length, 'each code says something different');
    for (const [code, def] of Object.entries(AUTH_ERROR_DEFINITIONS)) {
      assert.match(code, /^AUTH_[A-Z0-9_]+$/);
      const err = authErrors[code as keyof typeof AUTH_ERROR_DEFINITIONS]();
      assert.ok(err instanceof AppError);
      assert.equal(err.code, code);
      assert.equal(err.statusCode, def.status);
    }
  });

  it('maps every OAuth failure reason to a registered code', () => {
    for (const code of Object.values(FAILURE_CODES)) assert.ok(code in AUTH_ERROR_DEFINITIONS, code);
  });

  it('carries Retry-After seconds on the 429', () => {
    const err = rateLimitedError(42);
    assert.equal(err.statusCode, 429);
    assert.equal(err.retryAfter, 42);
    assert.match(err.message, /42 s/);
  });
});
