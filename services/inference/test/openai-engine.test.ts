import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { OpenAiEngine } from '../src/engines/openai-engine.js';
import { UpstreamError, type GenerationRequest } from '../src/engines/engine.js';
import { closedPortUrl, startFakeOpenAi, type FakeUpstream } from './support/fake-openai.js';
import { scaled } from '../../../test/support/timeouts.js';

const REQUEST: GenerationRequest = { messages: [{ role: 'user', content: 'Say hello' }], maxTokens: 64, temperature: 0.3, topK: 40, seed: 9 };

async function run(engine: OpenAiEngine, request = REQUEST, signal = new AbortController().signal) {
  const stream = engine.stream(request, signal);
  const tokens: string[] = [];
  let error: unknown;
  try {
    for await (const chunk of stream) tokens.push(chunk.token);
  } catch (err) {
    error = err;
  }
  return { tokens, summary: stream.summary, error };
}

describe('openai engine against a fake OpenAI-compatible server', { timeout: scaled(60_000) }, () => {
  let fake: FakeUpstream;
  let engine: OpenAiEngine;
  const apiKey = `sk-test-${randomBytes(8).toString('hex')}`;

  before(async () => {
    fake = await startFakeOpenAi();
    engine = new OpenAiEngine({ baseUrl: fake.baseUrl, apiKey, model: 'llama-test', idleTimeoutMs: 2000 });
    await engine.load('llama-test');
  });
  after(async () => {
    await fake.close();
  });
  beforeEach(() => {
    fake.behaviour = 'ok';
    fake.requests.length = 0;
  });

  it('streams content and reads usage from the stream; sends stream_options, sampling, auth', async () => {
    const { tokens, summary, error } = await run(engine);
    assert.equal(error, undefined);
    assert.deepEqual(tokens, fake.tokens);
    assert.deepEqual(summary, { promptTokens: 11, completionTokens: 4, finishReason: 'stop', responseModel: 'llama-test' });
    const sent = fake.requests.find((r) => r.path === '/v1/chat/completions');
    assert.deepEqual(sent?.body, {
      model: 'llama-test',
      messages: REQUEST.messages,
      stream: true,
      stream_options: { include_usage: true },
      max_tokens: 64,
      temperature: 0.3,
      top_k: 40,
      seed: 9,
    });
    assert.equal(sent?.headers.authorization, `Bearer ${apiKey}`);
    assert.equal(sent?.headers.accept, 'text/event-stream');
  });

  it('parses a stream that arrives one byte at a time with CRLF line ends', async () => {
    fake.behaviour = 'split';
    const { tokens, summary, error } = await run(engine);
    assert.equal(error, undefined);
    assert.deepEqual(tokens, fake.tokens);
    assert.equal(tokens.join(''), 'Hello, world — 🥟!');
    assert.equal(summary.completionTokens, 4);
  });

  it('leaves usage unknown when the server does not send it (the runner counts chunks)', async () => {
    fake.behaviour = 'no-usage';
    const { tokens, summary } = await run(engine);
    assert.equal(tokens.length, 4);
    assert.equal(summary.promptTokens, undefined);
    assert.equal(summary.completionTokens, undefined);
    assert.equal(summary.finishReason, 'stop');
  });

  it('maps each upstream failure to an UpstreamError with a clear message', async () => {
    const cases: Array<[FakeUpstream['behaviour'], RegExp, number]> = [
      ['drop', /^the upstream connection dropped mid-stream \(/, 2],
      ['status', /^upstream answered 500: \{"error":\{"message":"model overloaded, try again"/, 0],
      ['malformed', /^upstream sent a malformed stream chunk: "\{\\"choices\\":\[\{\\"delta\\":"$/, 1],
      ['no-done', /^upstream closed the stream before it finished \(no finish_reason and no \[DONE\]\)$/, 2],
    ];
    for (const [behaviour, message, tokenCount] of cases) {
      fake.behaviour = behaviour;
      const { tokens, error } = await run(engine);
      assert.ok(error instanceof UpstreamError, `${behaviour}: ${String(error)}`);
      assert.match(error.message, message, behaviour);
      assert.equal(tokens.length, tokenCount, behaviour);
    }
  });

  it('says the upstream is unreachable when the connection is refused', async () => {
    const down = new OpenAiEngine({ baseUrl: await closedPortUrl(), apiKey: undefined, model: 'llama-test', idleTimeoutMs: 2000 });
    await down.load('llama-test'); // accepted: the upstream may start later
    const { error } = await run(down);
    assert.ok(error instanceof UpstreamError);
    assert.match(error.message, /^cannot reach the upstream at http:\/\/127\.0\.0\.1:\d+\/v1: connection refused$/);
    assert.deepEqual(await down.listModels(), [{ id: 'llama-test' }], 'falls back to OPENAI_MODEL');
  });

  it('stops the upstream request when aborted', async () => {
    fake.behaviour = 'slow';
    const controller = new AbortController();
    const abandonedBefore = fake.abandoned;
    const stream = engine.stream(REQUEST, controller.signal);
    const seen: string[] = [];
    await assert.rejects(async () => {
      for await (const chunk of stream) {
        seen.push(chunk.token);
        if (seen.length === 2) controller.abort(new Error('client left'));
      }
    });
    assert.equal(seen.length, 2);
    const deadline = Date.now() + 2000;
    while (fake.abandoned === abandonedBefore && Date.now() < deadline) await new Promise((r) => setTimeout(r, 10));
    assert.equal(fake.abandoned, abandonedBefore + 1, 'the upstream saw the connection close');
  });

  it('lists the upstream models and refuses to load one it does not serve', async () => {
    assert.deepEqual(await engine.listModels(), [{ id: 'llama-test' }, { id: 'qwen-test' }]);
    await assert.rejects(engine.load('mistral'), /does not serve model "mistral" \(it serves: llama-test, qwen-test\)/);
    await engine.load('qwen-test');
    await run(engine);
    assert.equal(fake.requests.find((r) => r.path === '/v1/chat/completions')?.body?.model, 'qwen-test');
    await engine.load('llama-test');
  });

  it('hides credentials of the base URL in its messages', async () => {
    const url = new URL(await closedPortUrl());
    url.username = 'user';
    url.password = 'hunter2';
    const withCreds = new OpenAiEngine({ baseUrl: url.toString().replace(/\/$/, ''), apiKey: undefined, model: 'm', idleTimeoutMs: 1000 });
    await withCreds.load('m');
    const { error } = await run(withCreds);
    assert.ok(error instanceof UpstreamError);
    assert.ok(!error.message.includes('hunter2'), error.message);
  });
});
