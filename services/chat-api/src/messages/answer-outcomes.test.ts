import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createMetrics } from '@samosachaat/observability';
import { createChatMetrics } from '../metrics.js';
import { reasonLabel, recordAnswer, recordRefusedSend } from './answer-outcomes.js';

describe('answer outcomes', () => {
  it('counts an answer once, by outcome, bounded reason, surface and client, and its first token once', async () => {
    const registry = createMetrics({ service: 'chat-api', runtime: false });
    const metrics = createChatMetrics(registry);
    const answer = recordAnswer(metrics, 'chat', performance.now() - 300);
    answer.firstToken();
    answer.firstToken();
    answer.end('incomplete', 'Inference stream cut!', true);
    answer.end('complete', '', false);
    recordAnswer(metrics, 'api', performance.now()).end('complete', 'ignored', false);
    recordRefusedSend(metrics, 'chat', 'CHAT_INFERENCE_OVER_CAPACITY');
    const text = (await registry.render()).body;
    assert.match(text, /^chat_answers_total\{surface="chat",outcome="incomplete",reason="inference_stream_cut",client="gone",service="chat-api"\} 1$/m);
    assert.match(text, /^chat_answers_total\{surface="api",outcome="complete",reason="none",client="connected",service="chat-api"\} 1$/m);
    assert.match(text, /^chat_answers_total\{surface="chat",outcome="refused",reason="inference_over_capacity",client="connected",service="chat-api"\} 1$/m);
    assert.match(text, /^chat_answer_time_to_first_token_seconds_count\{surface="chat",service="chat-api"\} 1$/m);
    assert.match(text, /^chat_answer_time_to_first_token_seconds_bucket\{le="0.25",surface="chat",service="chat-api"\} 0$/m);
    assert.match(text, /^chat_answer_time_to_first_token_seconds_bucket\{le="0.5",surface="chat",service="chat-api"\} 1$/m);
  });

  it('keeps reasons to short codes', () => {
    assert.equal(reasonLabel('answer_not_saved'), 'answer_not_saved');
    assert.equal(reasonLabel('  '), 'unspecified');
    assert.equal(reasonLabel('x'.repeat(100)).length, 48);
  });
});
