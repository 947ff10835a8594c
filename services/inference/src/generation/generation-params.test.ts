import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertEngineHonours, validateGenerateBody, type GenerateBody } from './generation-params.js';

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
    assert.equal(messageOf({ messages: [...ok, { role: 'robot', content: 'x' }] }), 'messages[1].role must be one of system, user, assistant, tool, got "robot"');
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

describe('assertEngineHonours', () => {
  const demo = { topP: false, topK: true, stop: false, seed: true, tools: false, responseFormat: false };
  const all = { topP: true, topK: true, stop: true, seed: true, tools: true, responseFormat: true };
  const refused = (body: GenerateBody): string | undefined => {
    try {
      assertEngineHonours(validateGenerateBody(body, LIMITS), 'demo', demo);
      return undefined;
    } catch (err) {
      assert.equal((err as { statusCode?: number }).statusCode, 400);
      return (err as { param?: string }).param;
    }
  };
  it('refuses, by name, what the engine cannot honour', () => {
    assert.equal(refused({ messages: ok, top_p: 0.5 }), 'top_p');
    assert.equal(refused({ messages: ok, stop: 'x' }), 'stop');
    assert.equal(refused({ messages: ok, tools: [{ type: 'function' }] }), 'tools');
    assert.equal(refused({ messages: ok, tool_choice: 'required' }), 'tool_choice');
    assert.equal(refused({ messages: ok, response_format: { type: 'json_object' } }), 'response_format');
    assert.equal(refused({ messages: [...ok, { role: 'assistant', content: null, tool_calls: [{ id: 'c' }] }] }), 'messages[1].tool_calls');
    assert.equal(refused({ messages: [...ok, { role: 'tool', content: 'r', tool_call_id: 'c' }] }), 'messages[1].role');
  });
  it('lets through neutral values and what the engine honours', () => {
    assert.equal(refused({ messages: ok, top_p: 1, top_k: 5, seed: 3, tool_choice: 'none', temperature: 1 }), undefined);
    const params = validateGenerateBody({ messages: [...ok, { role: 'assistant', content: null, tool_calls: [{ id: 'c' }] }, { role: 'tool', content: 'r', tool_call_id: 'c' }], tools: [{ type: 'function' }], top_p: 0.2, stop: ['x'] }, LIMITS);
    assert.doesNotThrow(() => assertEngineHonours(params, 'openai', all));
    assert.deepEqual(params.messages.slice(1), [
      { role: 'assistant', content: '', toolCalls: [{ id: 'c' }] },
      { role: 'tool', content: 'r', toolCallId: 'c' },
    ]);
  });
});
