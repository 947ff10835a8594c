import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { validateGenerateBody, type GenerateBody } from './generation-params.js';

const LIMITS = { maxMessages: 3, maxContentChars: 10, maxTokensLimit: 100 };
const ok = [{ role: 'user', content: 'hello' }];

function messageOf(body: GenerateBody): string {
  try {
    validateGenerateBody(body, LIMITS);
  } catch (err) {
    assert.equal((err as { statusCode?: number }).statusCode, 400);
    assert.equal((err as { code?: string }).code, 'INFERENCE_INVALID_REQUEST');
    return (err as Error).message;
  }
  throw new Error(`accepted ${JSON.stringify(body)}`);
}

describe('validateGenerateBody', () => {
  it('names the field of each failure', () => {
    assert.equal(messageOf({}), 'messages is required: an array of {role, content}');
    assert.equal(messageOf({ messages: [] }), 'messages is empty: send at least one message');
    assert.equal(messageOf({ messages: [...ok, ...ok, ...ok, ...ok] }), 'messages has 4 entries; at most 3 are allowed');
    assert.equal(messageOf({ messages: [...ok, { role: 'robot', content: 'x' }] }), 'messages[1].role must be one of system, user, assistant, got "robot"');
    assert.equal(messageOf({ messages: [{ role: 'user', content: '   ' }] }), 'messages[0].content is empty');
    assert.equal(messageOf({ messages: [{ role: 'user', content: 'x'.repeat(11) }] }), 'messages[0].content has 11 characters; at most 10 are allowed');
    assert.equal(messageOf({ messages: [{ role: 'user', content: 5 }] }), 'messages[0].content must be a string');
    assert.equal(messageOf({ messages: ok, temperature: 2.5 }), 'temperature must be between 0 and 2, got 2.5');
    assert.equal(messageOf({ messages: ok, temperature: -0.1 }), 'temperature must be between 0 and 2, got -0.1');
    assert.equal(messageOf({ messages: ok, max_tokens: 0 }), 'max_tokens must be between 1 and 100, got 0');
    assert.equal(messageOf({ messages: ok, max_tokens: 101 }), 'max_tokens must be between 1 and 100, got 101');
    assert.equal(messageOf({ messages: ok, max_tokens: 1.5 }), 'max_tokens must be a whole number, got 1.5');
    assert.equal(messageOf({ messages: ok, top_k: 1001 }), 'top_k must be between 1 and 1000, got 1001');
    assert.equal(messageOf({ messages: ok, top_k: 0 }), 'top_k must be between 1 and 1000, got 0');
    assert.equal(messageOf({ messages: ok, seed: 2 ** 60 }), `seed must be a whole number, got ${2 ** 60}`);
    assert.equal(messageOf({ messages: ok, model: ' ' }), 'model must be a model id of 1 to 200 characters');
  });

  it('accepts the bounds and normalises the names', () => {
    assert.deepEqual(validateGenerateBody({ messages: ok, temperature: 0, max_tokens: 100, top_k: 1000, seed: -3, model: 'demo' }, LIMITS), {
      messages: [{ role: 'user', content: 'hello' }],
      temperature: 0,
      maxTokens: 100,
      topK: 1000,
      seed: -3,
      model: 'demo',
    });
    assert.deepEqual(validateGenerateBody({ messages: [{ role: 'system', content: 'x'.repeat(10) }, { role: 'assistant', content: 'y' }], temperature: 2 }, LIMITS), {
      messages: [{ role: 'system', content: 'x'.repeat(10) }, { role: 'assistant', content: 'y' }],
      temperature: 2,
    });
  });
});
