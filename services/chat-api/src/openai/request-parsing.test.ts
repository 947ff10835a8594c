import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseChatCompletion } from './chat-completions.js';
import { OpenAiError } from './openai-errors.js';
import { parseResponsesRequest } from './responses-request.js';

const hi = [{ role: 'user', content: 'hi' }];

function refusal(fn: () => unknown): { status: number; code: string; param: string | null; message: string } {
  try {
    fn();
  } catch (err) {
    assert.ok(err instanceof OpenAiError, String(err));
    return { status: err.statusCode, code: err.code, param: err.param, message: err.message };
  }
  throw new Error('accepted');
}

describe('parseChatCompletion', () => {
  it('maps OpenAI parameters onto /generate', () => {
    const req = parseChatCompletion({
      model: 'm',
      messages: [{ role: 'developer', content: [{ type: 'text', text: 'be brief' }] }, ...hi],
      temperature: 0.5,
      top_p: 0.9,
      max_completion_tokens: 7,
      stop: 'END',
      seed: 3,
      n: 1,
      store: false,
      user: 'u-1',
      response_format: { type: 'text' },
      stream: true,
      stream_options: { include_usage: true },
    });
    assert.deepEqual(req, {
      params: { model: 'm', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }], temperature: 0.5, top_p: 0.9, max_tokens: 7, stop: ['END'], seed: 3 },
      stream: true,
      includeUsage: true,
    });
  });

  it('passes tools, tool messages and formats through for the engine to judge', () => {
    const call = { id: 'c1', type: 'function', function: { name: 'f', arguments: '{}' } };
    const req = parseChatCompletion({
      model: 'm',
      messages: [...hi, { role: 'assistant', content: null, tool_calls: [call] }, { role: 'tool', tool_call_id: 'c1', content: 'r' }],
      tools: [{ type: 'function', function: { name: 'f' } }],
      tool_choice: 'auto',
      parallel_tool_calls: false,
      response_format: { type: 'json_object' },
    });
    assert.deepEqual(req.params.messages.slice(1), [
      { role: 'assistant', content: null, tool_calls: [call] },
      { role: 'tool', content: 'r', tool_call_id: 'c1' },
    ]);
    assert.equal(req.params.tool_choice, 'auto');
    assert.equal(req.params.parallel_tool_calls, false);
    assert.deepEqual(req.params.response_format, { type: 'json_object' });
  });

  it('refuses, naming the parameter, what cannot be honoured or is wrong', () => {
    const cases: Array<[Record<string, unknown>, string, string]> = [
      [{ messages: hi }, 'missing_required_parameter', 'model'],
      [{ model: 'm' }, 'missing_required_parameter', 'messages'],
      [{ model: 'm', messages: hi, n: 2 }, 'unsupported_parameter', 'n'],
      [{ model: 'm', messages: hi, logprobs: true }, 'unsupported_parameter', 'logprobs'],
      [{ model: 'm', messages: hi, presence_penalty: 0.5 }, 'unsupported_parameter', 'presence_penalty'],
      [{ model: 'm', messages: hi, logit_bias: { 50256: -100 } }, 'unsupported_parameter', 'logit_bias'],
      [{ model: 'm', messages: hi, frobnicate: true }, 'unsupported_parameter', 'frobnicate'],
      [{ model: 'm', messages: hi, temperature: 2.5 }, 'invalid_value', 'temperature'],
      [{ model: 'm', messages: hi, temperature: '1' }, 'invalid_type', 'temperature'],
      [{ model: 'm', messages: hi, stop: ['a', 'b', 'c', 'd', 'e'] }, 'invalid_value', 'stop'],
      [{ model: 'm', messages: [{ role: 'robot', content: 'x' }] }, 'invalid_value', 'messages[0].role'],
      [{ model: 'm', messages: [{ role: 'user', content: [{ type: 'image_url', image_url: {} }] }] }, 'unsupported_parameter', 'messages[0].content[0]'],
      [{ model: 'm', messages: [{ role: 'tool', content: 'r' }] }, 'invalid_value', 'messages[0].tool_call_id'],
      [{ model: 'm', messages: hi, tool_choice: 'required' }, 'invalid_value', 'tool_choice'],
      [{ model: 'm', messages: hi, stream_options: { include_usage: true } }, 'invalid_value', 'stream_options'],
    ];
    for (const [body, code, param] of cases) {
      const r = refusal(() => parseChatCompletion(body));
      assert.deepEqual([r.status, r.code, r.param], [400, code, param], JSON.stringify(body));
      assert.match(r.message, new RegExp(param.replace(/[[\]]/g, '\\$&').split('.')[0] as string));
    }
  });
});

describe('parseResponsesRequest', () => {
  it('takes a string or messages, instructions first; store is accepted and echoed false', () => {
    const req = parseResponsesRequest({
      model: 'm',
      instructions: 'be brief',
      input: [{ role: 'user', content: [{ type: 'input_text', text: 'hi' }] }, { type: 'message', role: 'assistant', content: [{ type: 'output_text', text: 'hello' }] }],
      max_output_tokens: 5,
      store: true,
      tools: [],
      stream: true,
    });
    assert.deepEqual(req.params, { model: 'm', messages: [{ role: 'system', content: 'be brief' }, { role: 'user', content: 'hi' }, { role: 'assistant', content: 'hello' }], max_tokens: 5 });
    assert.equal(req.stream, true);
    assert.equal(req.echo.store, false);
    assert.deepEqual(parseResponsesRequest({ model: 'm', input: 'hi' }).params.messages, [{ role: 'user', content: 'hi' }]);
  });

  it('is stateless and text only: refuses, naming the parameter', () => {
    const cases: Array<[Record<string, unknown>, string]> = [
      [{ model: 'm', input: 'hi', previous_response_id: 'resp_1' }, 'previous_response_id'],
      [{ model: 'm', input: 'hi', reasoning: { effort: 'low' } }, 'reasoning'],
      [{ model: 'm', input: 'hi', tools: [{ type: 'web_search' }] }, 'tools'],
      [{ model: 'm', input: 'hi', include: ['message.output_text.logprobs'] }, 'include'],
      [{ model: 'm', input: 'hi', text: { format: { type: 'json_object' } } }, 'text.format'],
      [{ model: 'm', input: [{ type: 'function_call_output', call_id: 'c', output: 'x' }] }, 'input[0].type'],
      [{ model: 'm' }, 'input'],
      [{ model: 'm', input: 'hi', background: true }, 'background'],
    ];
    for (const [body, param] of cases) {
      const r = refusal(() => parseResponsesRequest(body));
      assert.deepEqual([r.status, r.param], [400, param], JSON.stringify(body));
    }
  });
});
