import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { describeError } from '@samosachaat/service-kit';
import { INFERENCE_ERRORS, inferenceError, OverCapacityError } from './errors.js';

describe('inference error registry', () => {
  it('has unique, prefixed codes with 4xx/5xx statuses and a message each', () => {
    const codes = Object.keys(INFERENCE_ERRORS);
    assert.equal(new Set(codes).size, codes.length);
    for (const [code, def] of Object.entries(INFERENCE_ERRORS)) {
      assert.match(code, /^INFERENCE_[A-Z0-9_]+$/);
      assert.ok(def.status >= 400 && def.status <= 599, code);
      assert.ok(def.message.length > 0, code);
    }
  });

  it('shows the message of a 5xx it raises on purpose, unlike an unexpected error', () => {
    const err = inferenceError('INFERENCE_NO_MODEL', 'no model is loaded; check the logs');
    assert.deepEqual(describeError(err), { status: 503, code: 'INFERENCE_NO_MODEL', message: 'no model is loaded; check the logs', internal: true });
    const busy = new OverCapacityError(7, 'all busy');
    assert.equal(busy.retryAfter, 7);
    assert.equal(describeError(busy).message, 'all busy');
    assert.equal(describeError(busy).status, 503);
    assert.equal(describeError(new Error('secret detail')).message, 'internal server error');
  });
});
