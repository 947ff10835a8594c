import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planRefusal, type Refusal } from './retry.js';

const refusal = (status: number, code: string, detail = '', more: Partial<Refusal> = {}): Refusal => ({ status, code, detail, retryAfterS: null, userMessageId: null, ...more });

describe('planRefusal', () => {
  it('keeps a stored question, says why and when to retry, and regenerates on Retry', () => {
    const plan = planRefusal(refusal(503, 'CHAT_UPSTREAM_RATE_LIMITED', 'the model server is rate-limiting requests; retry in 20 s', { retryAfterS: 20, userMessageId: 'u1' }), 'send');
    assert.deepEqual(plan, { keepQuestion: true, retry: 'regenerate', text: 'Not answered: the model server is rate-limiting requests, retry in 20 s. Your question is saved.' });
    assert.equal(planRefusal(refusal(503, 'CHAT_INFERENCE_OVER_CAPACITY', 'inference is over capacity; your message was saved: retry with POST …', { retryAfterS: 7 }), 'send').text, 'Not answered: the model is over capacity, retry in 7 s. Your question is saved.');
  });

  it('reads a coded 502/504 from chat-api as its reason, not as an unreachable service', () => {
    const timeout = planRefusal(refusal(504, 'CHAT_INFERENCE_TIMEOUT', 'inference did not start answering in time; retry shortly'), 'send');
    assert.equal(timeout.text, 'Not answered: inference did not start answering in time. Your question is saved.');
    assert.equal(timeout.retry, 'regenerate');
    const refused = planRefusal(refusal(502, 'CHAT_UPSTREAM_REFUSED', 'the model server refused the request (its API key or model name is wrong); an operator must fix the inference configuration', { userMessageId: 'u1' }), 'send');
    assert.match(refused.text, /^Not answered: the model server refused the request \(its API key or model name is wrong\); an operator must fix/);
    assert.equal(planRefusal(refusal(502, 'WEB_UPSTREAM_UNAVAILABLE', 'chat-api is unreachable'), 'send').text, 'Not answered: a service behind the web server is unreachable (chat-api is unreachable).');
  });

  it('degrades gracefully on a code it does not know: the message and Retry (resent with the same id)', () => {
    const plan = planRefusal(refusal(500, 'CHAT_SOMETHING_NEW', 'the flux capacitor is cold'), 'send');
    assert.deepEqual(plan, { keepQuestion: true, retry: 'resend', text: 'Not answered: the flux capacitor is cold.' });
    assert.equal(planRefusal(refusal(503, 'DATABASE_UNAVAILABLE', '', { retryAfterS: 2 }), 'send').text, 'Not answered: the service is unavailable, retry in 2 s.');
    assert.equal(planRefusal(refusal(500, 'CHAT_SOMETHING_NEW', 'x'), 'regenerate').retry, 'regenerate');
  });

  it('gives a 4xx back to the composer without Retry (nothing was stored)', () => {
    assert.deepEqual(planRefusal(refusal(429, 'CHAT_TOO_MANY_STREAMS', 'too many', { retryAfterS: 5 }), 'send'), { keepQuestion: false, retry: null, text: 'Not sent: too many answers are streaming at once — wait for one to finish, retry in 5 s.' });
    assert.equal(planRefusal(refusal(400, 'VALIDATION_FAILED', 'content is too long'), 'send').keepQuestion, false);
  });
});
