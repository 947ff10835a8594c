import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { UpstreamError } from './engine.js';
import { parseStreamChunk } from './openai-chunk.js';

describe('parseStreamChunk', () => {
  it('reads content, finish reason, model and usage', () => {
    assert.deepEqual(parseStreamChunk('{"model":"m","choices":[{"index":0,"delta":{"role":"assistant","content":"Hi"},"finish_reason":null}]}'), { model: 'm', content: 'Hi' });
    assert.deepEqual(parseStreamChunk('{"choices":[{"delta":{},"finish_reason":"length"}]}'), { finishReason: 'length' });
    assert.deepEqual(parseStreamChunk('{"choices":[{"delta":{},"finish_reason":"eos"}]}'), { finishReason: 'stop' });
    assert.deepEqual(parseStreamChunk('{"choices":[],"usage":{"prompt_tokens":12,"completion_tokens":30,"total_tokens":42}}'), { promptTokens: 12, completionTokens: 30 });
    assert.deepEqual(parseStreamChunk('{"choices":[{"delta":{"content":""}}],"usage":null}'), {});
  });

  it('passes tool-call deltas through unchanged, with finish_reason tool_calls', () => {
    const delta = [{ index: 0, id: 'call_1', type: 'function', function: { name: 'f', arguments: '{"a"' } }];
    assert.deepEqual(parseStreamChunk(JSON.stringify({ choices: [{ delta: { tool_calls: delta } }] })), { toolCalls: delta });
    assert.deepEqual(parseStreamChunk('{"choices":[{"delta":{},"finish_reason":"tool_calls"}]}'), { finishReason: 'tool_calls' });
  });

  it('turns malformed JSON and in-stream errors into UpstreamErrors with a clear message', () => {
    assert.throws(() => parseStreamChunk('{"choices":[{"delta"'), (e: unknown) => e instanceof UpstreamError && e.message.startsWith('upstream sent a malformed stream chunk: "{\\"choices'));
    assert.throws(() => parseStreamChunk('[1,2]'), /malformed stream chunk/);
    assert.throws(() => parseStreamChunk('{"error":{"message":"CUDA out of memory","type":"server_error"}}'), /upstream reported an error mid-stream: CUDA out of memory/);
    assert.throws(() => parseStreamChunk('{"error":"overloaded"}'), /mid-stream: overloaded/);
  });
});
