import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DemoEngine } from './demo-engine.js';
import { composeAnswer, seedFromMessages, topicOf } from './demo-text.js';
import { UpstreamError, type ChatMessage, type GenerationRequest } from './engine.js';

const MESSAGES: ChatMessage[] = [
  { role: 'system', content: 'You are helpful.' },
  { role: 'user', content: 'How do I make tamarind chutney for samosa chaat?' },
];

function engine(overrides: Partial<ConstructorParameters<typeof DemoEngine>[0]> = {}) {
  return new DemoEngine({ model: 'demo', tokensPerSecond: 0, loadMs: 0, failAfterTokens: undefined, ...overrides });
}

async function collect(e: DemoEngine, request: GenerationRequest, signal = new AbortController().signal) {
  const stream = e.stream(request, signal);
  const tokens: string[] = [];
  for await (const chunk of stream) tokens.push(chunk.token);
  return { tokens, summary: stream.summary };
}

describe('demo engine', () => {
  it('is deterministic: the same messages and seed give the same tokens, another seed others', async () => {
    const e = engine();
    await e.load('demo');
    const a = await collect(e, { messages: MESSAGES, maxTokens: 4096, seed: 42 });
    const b = await collect(e, { messages: MESSAGES, maxTokens: 4096, seed: 42 });
    const c = await collect(e, { messages: MESSAGES, maxTokens: 4096, seed: 43 });
    assert.deepEqual(a.tokens, b.tokens);
    assert.notDeepEqual(a.tokens, c.tokens);
    // Without a seed, the seed comes from the messages.
    const d1 = await collect(e, { messages: MESSAGES, maxTokens: 4096 });
    const d2 = await collect(e, { messages: MESSAGES, maxTokens: 4096, seed: seedFromMessages(MESSAGES) });
    assert.deepEqual(d1.tokens, d2.tokens);
    const other = await collect(e, { messages: [...MESSAGES, { role: 'user', content: 'And mint chutney?' }], maxTokens: 4096 });
    assert.notDeepEqual(d1.tokens, other.tokens);
  });

  it('echoes the topic, says it is a demo, stays within 60–120 words and reports usage', async () => {
    const e = engine();
    await e.load('demo');
    const { tokens, summary } = await collect(e, { messages: MESSAGES, maxTokens: 4096, seed: 7 });
    const text = tokens.join('');
    assert.match(text, /^This answer about tamarind chutney samosa comes from the samosaChaat demo engine, not a language model\./);
    const words = text.split(/\s+/).length;
    assert.ok(words >= 60 && words <= 140, `${words} words`);
    assert.equal(summary.finishReason, 'stop');
    assert.equal(summary.completionTokens, tokens.length);
    assert.ok((summary.promptTokens ?? 0) > 10);
    assert.equal(summary.responseModel, 'demo');
  });

  it('stops at max_tokens with finish reason length', async () => {
    const e = engine();
    await e.load('demo');
    const { tokens, summary } = await collect(e, { messages: MESSAGES, maxTokens: 5, seed: 1 });
    assert.equal(tokens.length, 5);
    assert.equal(summary.finishReason, 'length');
  });

  it('answers at greater length with demo-large', async () => {
    const e = engine();
    await e.load('demo-large');
    const { tokens } = await collect(e, { messages: MESSAGES, maxTokens: 4096, seed: 7 });
    assert.ok(tokens.join('').split(/\s+/).length >= 120);
  });

  it('paces tokens at DEMO_TOKENS_PER_SECOND', async () => {
    const e = engine({ tokensPerSecond: 100 });
    await e.load('demo');
    const started = performance.now();
    const { tokens } = await collect(e, { messages: MESSAGES, maxTokens: 10, seed: 3 });
    const elapsed = performance.now() - started;
    assert.equal(tokens.length, 10);
    assert.ok(elapsed >= 95, `10 tokens at 100/s took ${elapsed} ms`);
    assert.ok(elapsed < 1000, `10 tokens at 100/s took ${elapsed} ms`);
  });

  it('stops promptly when aborted', async () => {
    const e = engine({ tokensPerSecond: 20 });
    await e.load('demo');
    const controller = new AbortController();
    const seen: string[] = [];
    setTimeout(() => controller.abort(new Error('client left')), 120);
    await assert.rejects(async () => {
      for await (const chunk of e.stream({ messages: MESSAGES, maxTokens: 100 }, controller.signal)) seen.push(chunk.token);
    });
    assert.ok(seen.length <= 4, `${seen.length} tokens before the abort at ~2.4 tokens' time`);
  });

  it('injects a fault after DEMO_FAIL_AFTER_TOKENS tokens', async () => {
    const e = engine({ failAfterTokens: 3 });
    await e.load('demo');
    const seen: string[] = [];
    await assert.rejects(
      async () => {
        for await (const chunk of e.stream({ messages: MESSAGES, maxTokens: 100 }, new AbortController().signal)) seen.push(chunk.token);
      },
      (err: unknown) => err instanceof UpstreamError && /DEMO_FAIL_AFTER_TOKENS/.test(err.message),
    );
    assert.equal(seen.length, 3);
  });

  it('lists both models, takes DEMO_LOAD_MS to load, refuses unknown models and streams only when loaded', async () => {
    const e = engine({ loadMs: 50 });
    assert.deepEqual(await e.listModels(), [{ id: 'demo' }, { id: 'demo-large' }]);
    assert.throws(() => e.stream({ messages: MESSAGES, maxTokens: 1 }, new AbortController().signal), /no model loaded/);
    const started = performance.now();
    await e.load('demo');
    assert.ok(performance.now() - started >= 45);
    await assert.rejects(e.load('gpt-4'), /no model "gpt-4"/);
    await e.unload();
    assert.throws(() => e.stream({ messages: MESSAGES, maxTokens: 1 }, new AbortController().signal), /no model loaded/);
  });
});

describe('demo text', () => {
  it('takes up to three content words of the last user message as the topic', () => {
    assert.equal(topicOf([{ role: 'user', content: 'What is the capital of France and why?' }]), 'capital france');
    assert.equal(topicOf([{ role: 'user', content: 'hi' }]), 'your question');
    assert.equal(topicOf([{ role: 'assistant', content: 'Ask me' }]), 'your question');
  });

  it('always picks the first candidate at temperature 0, so the answer does not depend on draws', () => {
    const base = { messages: MESSAGES, seed: 11, topK: 1000, maxTokens: 4096, minWords: 60, maxWords: 60 };
    const cold = composeAnswer({ ...base, temperature: 0 });
    const topK1 = composeAnswer({ ...base, temperature: 1, topK: 1 });
    assert.deepEqual(cold.tokens, topK1.tokens);
    assert.notDeepEqual(cold.tokens, composeAnswer({ ...base, temperature: 1 }).tokens);
  });
});
