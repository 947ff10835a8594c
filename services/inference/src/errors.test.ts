import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { errorAnswerApp } from '@samosachaat/service-kit/testing';
import { INFERENCE_ERRORS, OverCapacityError, type InferenceErrorCode } from './errors.js';

// A bare app with the service kit's plugins: what a client gets when a handler throws.
const errors = await errorAnswerApp('inference');
after(() => errors.close());
const answerTo = errors.answerTo;

describe('inference errors, as a client of the native API gets them', () => {
  it('answers every code with its status and message, 5xx messages included, unlike an unexpected error', async () => {
    for (const code of Object.keys(INFERENCE_ERRORS) as InferenceErrorCode[]) {
      const res = await answerTo(INFERENCE_ERRORS[code]());
      assert.deepEqual([res.status, res.error.code, res.error.message], [INFERENCE_ERRORS[code].status, code, INFERENCE_ERRORS[code].message], code);
    }
    const precise = await answerTo(INFERENCE_ERRORS.INFERENCE_NO_MODEL('no model is loaded; check the logs'));
    assert.deepEqual([precise.status, precise.error.message], [503, 'no model is loaded; check the logs']);
    assert.equal((await answerTo(new Error('secret detail'))).error.message, 'internal server error');
  });

  it('answers the worker pool refusal as 503 INFERENCE_OVER_CAPACITY with Retry-After', async () => {
    const res = await answerTo(new OverCapacityError(7, 'all busy'));
    assert.deepEqual([res.status, res.error.code, res.error.message, res.retryAfter], [503, 'INFERENCE_OVER_CAPACITY', 'all busy', '7']);
  });
});
