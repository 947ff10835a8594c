import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, defineErrors, describeError, errorEnvelope } from './errors.js';

// What a thrown registry error answers (status, envelope, Retry-After) is tested through a
// Fastify app in errors-plugin.test.ts.
describe('error registry', () => {
  it('rejects malformed codes and statuses at definition time', () => {
    assert.throws(() => defineErrors({ 'not-a-code': { status: 400, message: 'x' } }), /UPPER_SNAKE_CASE/);
    assert.throws(() => defineErrors({ OK_CODE: { status: 200, message: 'x' } }), /400-599/);
  });

  it('hides 5xx details and maps Fastify codes', () => {
    assert.deepEqual(describeError(new Error('db password wrong')), { status: 500, code: 'INTERNAL_ERROR', message: 'internal server error', internal: true });
    assert.deepEqual(describeError(Object.assign(new Error('body/x must be string'), { statusCode: 400, code: 'FST_ERR_VALIDATION' })), {
      status: 400, code: 'VALIDATION_FAILED', message: 'body/x must be string', internal: false,
    });
    assert.equal(describeError(Object.assign(new Error('too big'), { statusCode: 413, code: 'FST_ERR_CTP_BODY_TOO_LARGE' })).code, 'BODY_TOO_LARGE');
    assert.equal(describeError(new AppError('X_FAILED', 'secret detail', 502)).message, 'internal server error');
    assert.deepEqual(errorEnvelope('A', 'b', 'c'.repeat(32)), { error: { code: 'A', message: 'b', trace_id: 'c'.repeat(32) } });
  });
});

describe('describeError: unknown body fields', () => {
  it('names the unknown field in the validation message', () => {
    const err = Object.assign(new Error('body must NOT have additional properties'), {
      statusCode: 400,
      code: 'FST_ERR_VALIDATION',
      validation: [{ keyword: 'additionalProperties', params: { additionalProperty: 'is_admin' } }],
    });
    assert.deepEqual(describeError(err), {
      status: 400,
      code: 'VALIDATION_FAILED',
      message: 'body must NOT have additional properties (unknown field "is_admin")',
      internal: false,
    });
  });
});
