// Interoperability with the OpenAI ecosystem, on real processes over loopback:
// 1. the official `openai` npm client talks to samosaChaat's POST /v1/chat/completions;
// 2. one inference process (ENGINE=openai) uses another (ENGINE=demo) as its upstream, so
//    samosaChaat's OpenAI API is proven to be consumable by samosaChaat's own openai engine.
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import OpenAI, { AuthenticationError } from 'openai';
import type { ChatCompletionChunk, ChatCompletionMessageParam } from 'openai/resources/chat/completions';
import { assertDone, metricValue, sseEvents, testKey } from './support/in-process.js';
import { eventually, startInference, waitReady, type RunningInference } from './support/service.js';
import { postJson, SseReader } from './support/sse-client.js';
import { scaled } from '../../../test/support/timeouts.js';

const MESSAGES: ChatCompletionMessageParam[] = [
  { role: 'system', content: 'You are a patient chai wallah.' },
  { role: 'user', content: 'How much cardamom goes into masala chai for four cups?' },
];

/** What the official client yielded for one streamed completion. */
interface Collected {
  chunks: ChatCompletionChunk[];
  /** Chunks whose delta carries non-empty content, in order. */
  contentChunks: ChatCompletionChunk[];
  text: string;
}

async function collect(stream: AsyncIterable<ChatCompletionChunk>): Promise<Collected> {
  const chunks: ChatCompletionChunk[] = [];
  for await (const chunk of stream) chunks.push(chunk);
  const contentChunks = chunks.filter((c) => (c.choices[0]?.delta.content ?? '') !== '');
  return { chunks, contentChunks, text: contentChunks.map((c) => c.choices[0]?.delta.content).join('') };
}

/** A client of one inference process, no retries (a retry would hide a failure). */
function clientFor(svc: RunningInference, apiKey = svc.key): OpenAI {
  return new OpenAI({ baseURL: `${svc.url}/v1`, apiKey, maxRetries: 0, timeout: 20_000 });
}

async function metricsOf(svc: RunningInference): Promise<string> {
  return (await fetch(`${svc.url}/metrics`)).text();
}

function tokenCounters(body: string, model: string): { prompt: number; generated: number } {
  return {
    prompt: metricValue(body, `inference_prompt_tokens_total{model="${model}",service="inference"}`) ?? 0,
    generated: metricValue(body, `inference_generated_tokens_total{model="${model}",service="inference"}`) ?? 0,
  };
}

describe('the official openai client against POST /v1/chat/completions (real process)', { timeout: scaled(60_000) }, () => {
  let svc: RunningInference;

  before(async () => {
    svc = await startInference({ ENGINE: 'demo', DEMO_TOKENS_PER_SECOND: '0', OPENAI_COMPAT_API: 'true' });
    await waitReady(svc.url);
  });
  after(async () => {
    await svc?.stop();
  });

  it('streams content deltas, one finish_reason and a usage chunk counting them; the text equals the non-streamed answer', async () => {
    const client = clientFor(svc);
    const stream = await client.chat.completions.create({ model: 'demo', messages: MESSAGES, seed: 7, stream: true, stream_options: { include_usage: true } });
    const { chunks, contentChunks, text } = await collect(stream);

    const id = chunks[0]?.id;
    assert.match(String(id), /^chatcmpl-/);
    for (const c of chunks) {
      assert.equal(c.id, id, 'one id for the whole completion');
      assert.equal(c.object, 'chat.completion.chunk');
      assert.equal(c.model, 'demo');
    }
    assert.equal(chunks[0]?.choices[0]?.delta.role, 'assistant', 'the first delta gives the role');
    assert.ok(contentChunks.length >= 10, `several content deltas, got ${contentChunks.length}`);

    const finishing = chunks.filter((c) => c.choices[0]?.finish_reason != null);
    assert.equal(finishing.length, 1, 'exactly one chunk carries a finish_reason');
    assert.equal(finishing[0]?.choices[0]?.finish_reason, 'stop', 'the demo answer ends on its own without max_tokens');
    assert.ok(chunks.indexOf(finishing[0] as ChatCompletionChunk) > chunks.indexOf(contentChunks.at(-1) as ChatCompletionChunk), 'finish_reason comes after the last content delta');

    const last = chunks.at(-1);
    assert.deepEqual(last?.choices, [], 'the usage chunk has no choices');
    const usage = last?.usage;
    assert.ok(usage, 'include_usage gives a usage chunk last');
    assert.equal(usage.completion_tokens, contentChunks.length, 'completion_tokens counts the content deltas');
    assert.ok(usage.prompt_tokens > 0);
    assert.equal(usage.total_tokens, usage.prompt_tokens + usage.completion_tokens);
    assert.equal(chunks.filter((c) => c.usage).length, 1, 'usage is sent once');

    // The same messages and seed without streaming: the same text, the same usage.
    const whole = await client.chat.completions.create({ model: 'demo', messages: MESSAGES, seed: 7 });
    assert.equal(whole.object, 'chat.completion');
    assert.equal(whole.choices.length, 1);
    assert.equal(whole.choices[0]?.message.role, 'assistant');
    assert.equal(whole.choices[0]?.message.content, text);
    assert.equal(whole.choices[0]?.finish_reason, 'stop');
    assert.deepEqual(whole.usage, usage);

    // The equality above is about the seed, not a constant answer: another seed answers differently.
    const other = await client.chat.completions.create({ model: 'demo', messages: MESSAGES, seed: 8 });
    assert.notEqual(other.choices[0]?.message.content, text);
  });

  it('stops at max_tokens with finish_reason length and counts exactly those tokens', async () => {
    const stream = await clientFor(svc).chat.completions.create({ model: 'demo', messages: MESSAGES, seed: 7, max_tokens: 9, stream: true, stream_options: { include_usage: true } });
    const { chunks, contentChunks } = await collect(stream);
    assert.equal(contentChunks.length, 9);
    assert.deepEqual(
      chunks.map((c) => c.choices[0]?.finish_reason).filter((r) => r != null),
      ['length'],
    );
    assert.equal(chunks.at(-1)?.usage?.completion_tokens, 9);
  });

  it('a wrong key makes the client throw AuthenticationError (401) in OpenAI error shape', async () => {
    const wrong = clientFor(svc, testKey());
    await assert.rejects(
      wrong.chat.completions.create({ model: 'demo', messages: MESSAGES, stream: true, stream_options: { include_usage: true } }),
      (err: unknown) => {
        assert.ok(err instanceof AuthenticationError, `expected AuthenticationError, got ${String(err)}`);
        assert.equal(err.status, 401);
        assert.equal(err.type, 'authentication_error');
        assert.equal(err.code, 'INFERENCE_UNAUTHORIZED');
        assert.match(err.message, /wrong API key/);
        return true;
      },
    );
    // The non-streamed call fails the same way, and so does listing models.
    await assert.rejects(wrong.chat.completions.create({ model: 'demo', messages: MESSAGES }), AuthenticationError);
    await assert.rejects(wrong.models.list(), AuthenticationError);
    // The right key lists the demo models through the client.
    const ids: string[] = [];
    for await (const m of clientFor(svc).models.list()) ids.push(m.id);
    assert.deepEqual(ids, ['demo', 'demo-large']);
  });
});

describe('ENGINE=openai chained to an ENGINE=demo process over loopback (real processes)', { timeout: scaled(90_000) }, () => {
  /** Upstream B (demo, fast) and A (openai engine pointed at B). */
  let b: RunningInference;
  let a: RunningInference;
  /** A slow upstream and its own openai-engine process, for the mid-stream kill. */
  let bSlow: RunningInference;
  let aSlow: RunningInference;

  const chained = (upstream: RunningInference) => ({ ENGINE: 'openai', OPENAI_BASE_URL: `${upstream.url}/v1`, OPENAI_API_KEY: upstream.key, OPENAI_MODEL: 'demo', OPENAI_IDLE_TIMEOUT_MS: '10000' });

  before(async () => {
    [b, bSlow] = await Promise.all([startInference({ ENGINE: 'demo', DEMO_TOKENS_PER_SECOND: '0', OPENAI_COMPAT_API: 'true' }), startInference({ ENGINE: 'demo', DEMO_TOKENS_PER_SECOND: '25', OPENAI_COMPAT_API: 'true' })]);
    await Promise.all([waitReady(b.url), waitReady(bSlow.url)]);
    [a, aSlow] = await Promise.all([startInference(chained(b)), startInference(chained(bSlow))]);
    await Promise.all([waitReady(a.url), waitReady(aSlow.url)]);
  });
  after(async () => {
    await Promise.all([a?.stop(), aSlow?.stop()]);
    await Promise.all([b?.stop(), bSlow?.stop()]);
  });

  it('A lists the models B serves (it asked B with B\'s key)', async () => {
    const list = (await (await fetch(`${a.url}/models`)).json()) as { models: Array<{ id: string; engine: string; loaded: boolean }>; current_model: string };
    assert.deepEqual(list, { models: [{ id: 'demo', engine: 'openai', loaded: true }, { id: 'demo-large', engine: 'openai', loaded: false }], current_model: 'demo' });
  });

  it('POST A/generate relays B\'s tokens exactly, and A\'s token counters match B\'s usage', async () => {
    const request = { seed: 42, temperature: 0.6, max_tokens: 40 };
    const before = tokenCounters(await metricsOf(a), 'demo');

    const res = await postJson(`${a.url}/generate`, { messages: MESSAGES, ...request }, { 'x-internal-api-key': a.key });
    assert.equal(res.status, 200);
    assert.match(String(res.headers.get('content-type')), /^text\/event-stream/);
    const events = sseEvents(await res.text());
    assertDone(events.at(-1), { model: 'demo' });
    const tokenEvents = events.slice(0, -1) as Array<Record<string, unknown>>;
    for (const e of tokenEvents) assert.deepEqual(Object.keys(e), ['token'], `only token events before done, got ${JSON.stringify(e)}`);
    const relayed = tokenEvents.map((e) => e.token as string).join('');

    // What B itself produces for the same request, read with the official client.
    const direct = await collect(await clientFor(b).chat.completions.create({ model: 'demo', messages: MESSAGES, ...request, stream: true, stream_options: { include_usage: true } }));
    const usage = direct.chunks.at(-1)?.usage;
    assert.ok(usage);
    assert.equal(relayed, direct.text);
    assert.equal(tokenEvents.length, direct.contentChunks.length, 'one token event per upstream content delta');
    assert.equal(usage.completion_tokens, 40, 'max_tokens reached B');
    // A's done frame carries B's usage, not a count of its own frames.
    assert.deepEqual((events.at(-1) as { usage: unknown }).usage, { prompt_tokens: usage.prompt_tokens, completion_tokens: usage.completion_tokens });

    const afterCounts = tokenCounters(await metricsOf(a), 'demo');
    assert.equal(afterCounts.prompt - before.prompt, usage.prompt_tokens);
    assert.equal(afterCounts.generated - before.generated, usage.completion_tokens);
  });

  it('killing B mid-stream makes A send an error event, then done', async () => {
    const request = { messages: MESSAGES, seed: 5 };
    // The whole answer, from the fast upstream (the demo engine is deterministic per seed).
    const full = (await clientFor(b).chat.completions.create({ model: 'demo', ...request })).choices[0]?.message.content ?? '';
    assert.ok(full.length > 0);

    const res = await postJson(`${aSlow.url}/generate`, request, { 'x-internal-api-key': aSlow.key });
    assert.equal(res.status, 200);
    const reader = new SseReader(res);
    await reader.waitFor(3);
    bSlow.child.kill('SIGKILL');
    await bSlow.exited;
    await reader.readAll();

    const events = sseEvents(reader.raw) as Array<Record<string, unknown>>;
    assertDone(events.at(-1), { model: 'demo' });
    const error = events.at(-2);
    assert.deepEqual(Object.keys(error ?? {}), ['error', 'code']);
    assert.equal(error?.code, 'INFERENCE_UPSTREAM_UNAVAILABLE');
    assert.match(String(error?.error), /^the upstream connection dropped mid-stream \(.+\)$/);
    const tokens = events.slice(0, -2);
    assert.ok(tokens.length >= 3, 'the tokens streamed before the kill were relayed');
    for (const e of tokens) assert.deepEqual(Object.keys(e), ['token']);
    const partial = tokens.map((e) => e.token as string).join('');
    assert.ok(full.startsWith(partial), 'the relayed tokens are the beginning of B\'s answer');
    assert.ok(partial.length < full.length, 'the answer was cut, not finished');

    const line = await eventually(() => aSlow.lines.find((l) => l.message === 'generation_completed'));
    assert.equal(line.outcome, 'upstream_error');
    const metrics = await metricsOf(aSlow);
    assert.equal(metricValue(metrics, 'inference_generation_duration_seconds_count{model="demo",outcome="upstream_error",service="inference"}'), 1);
  });
});
