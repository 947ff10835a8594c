import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { AppError, describeError } from '@samosachaat/service-kit';
import { CHAT_ERRORS, chatError, type ChatErrorCode } from './errors.js';

describe('chat-api error registry', () => {
  it('has unique CHAT_ codes with 4xx/5xx statuses and a message each', () => {
    const codes = Object.keys(CHAT_ERRORS);
    assert.equal(new Set(codes).size, codes.length);
    for (const [code, def] of Object.entries(CHAT_ERRORS)) {
      assert.match(code, /^CHAT_[A-Z0-9_]+$/);
      assert.ok(def.status >= 400 && def.status <= 599, code);
      assert.ok(def.message.length > 10, code);
    }
  });

  it('builds AppErrors whose messages reach the caller, even for 503, with an optional Retry-After', () => {
    for (const code of Object.keys(CHAT_ERRORS) as ChatErrorCode[]) {
      const err = chatError(code);
      assert.ok(err instanceof AppError);
      const described = describeError(err);
      assert.equal(described.code, code);
      assert.equal(described.status, CHAT_ERRORS[code].status);
      assert.equal(described.message, CHAT_ERRORS[code].message);
    }
    const busy = chatError('CHAT_INFERENCE_OVER_CAPACITY', { message: 'try later', retryAfterSeconds: 7 });
    assert.equal(busy.retryAfter, 7);
    assert.equal(describeError(busy).message, 'try later');
    assert.equal(chatError('CHAT_FORBIDDEN').retryAfter, undefined);
  });
});
