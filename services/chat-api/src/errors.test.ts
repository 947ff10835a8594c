import assert from 'node:assert/strict';
import { after, describe, it } from 'node:test';
import { errorAnswerApp } from '@samosachaat/service-kit/testing';
import { CHAT_ERRORS, type ChatErrorCode } from './errors.js';

// A bare app with the service kit's plugins: what a client gets when a handler throws.
const errors = await errorAnswerApp('chat-api');
after(() => errors.close());
const answerTo = errors.answerTo;

describe('chat-api errors, as a client gets them', () => {
  it('answers every code with its status and message, 5xx messages included (they are written for the caller)', async () => {
    for (const code of Object.keys(CHAT_ERRORS) as ChatErrorCode[]) {
      const res = await answerTo(CHAT_ERRORS[code]());
      assert.deepEqual([res.status, res.error.code, res.error.message], [CHAT_ERRORS[code].status, code, CHAT_ERRORS[code].message], code);
      assert.equal(res.retryAfter, undefined, code);
    }
  });

  it('sends a more precise message and Retry-After when the thrower gives them', async () => {
    const busy = await answerTo(CHAT_ERRORS.CHAT_TOO_MANY_STREAMS({ message: 'wait for an answer to finish', retryAfterSeconds: 7 }));
    assert.deepEqual([busy.status, busy.error.message, busy.retryAfter], [429, 'wait for an answer to finish', '7']);
    assert.equal((await answerTo(CHAT_ERRORS.CHAT_AUTH_UNAVAILABLE({ retryAfterSeconds: 2 }))).retryAfter, '2');
  });
});
