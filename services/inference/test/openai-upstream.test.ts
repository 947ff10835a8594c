import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { after, before, beforeEach, describe, it } from 'node:test';
import { DONE_FRAME, metricValue } from './support/in-process.js';
import { closedPortUrl, startFakeOpenAi, type FakeUpstream } from './support/fake-openai.js';
import { eventually, startInference, waitReady, type RunningInference } from './support/service.js';
import { postJson, SseReader } from './support/sse-client.js';
import { scaled } from '../../../test/support/timeouts.js';

const MESSAGES = [{ role: 'user', content: 'Say hello' }];

async function generate(svc: RunningInference, body: Record<string, unknown> = {}) {
  const res = await postJson(`${svc.url}/generate`, { messages: MESSAGES, ...body }, { 'x-internal-api-key': svc.key });
  assert.equal(res.status, 200);
  return { traceId: res.headers.get('x-trace-id') as string, text: await res.text() };
}

describe('ENGINE=openai on a real process, against a fake upstream', { timeout: scaled(60_000) }, () => {
  let fake: FakeUpstream;
  let svc: RunningInference;
  const upstreamKey = `sk-${randomBytes(12).toString('hex')}`;

  before(async () => {
    fake = await startFakeOpenAi();
    svc = await startInference({ ENGINE: 'openai', OPENAI_BASE_URL: fake.baseUrl, OPENAI_MODEL: 'llama-test', OPENAI_API_KEY: upstreamKey, OPENAI_IDLE_TIMEOUT_MS: '3000' });
    await waitReady(svc.url);
  });
  after(async () => {
    await svc?.stop();
    await fake?.close();
  });
  beforeEach(() => {
    fake.behaviour = 'ok';
  });

  it('relays the upstream tokens as the SSE contract, carrying the trace and the upstream key', async () => {
    fake.requests.length = 0;
    const { traceId, text } = await generate(svc);
    const tokens = fake.tokens.map((t) => `data: ${JSON.stringify({ token: t })}\n\n`).join('');
    assert.equal(text.slice(0, tokens.length), tokens);
    assert.match(text.slice(tokens.length), new RegExp(`^${DONE_FRAME}$`));
    const sent = fake.requests.find((r) => r.path === '/v1/chat/completions');
    assert.equal(sent?.headers.authorization, `Bearer ${upstreamKey}`);
    assert.equal(sent?.headers['x-trace-id'], traceId);
    assert.equal(String(sent?.headers.traceparent).split('-')[1], traceId);
    assert.deepEqual(sent?.body?.stream_options, { include_usage: true });
    assert.equal(sent?.body?.max_tokens, 4096);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'inference_prompt_tokens_total{model="llama-test",service="inference"}'), 11, 'prompt tokens from the upstream usage');
    assert.equal(metricValue(metrics, 'inference_generated_tokens_total{model="llama-test",service="inference"}'), 4);
    // The generation span is a CLIENT span: the upstream's server span will be its child.
    const trace = (await (await fetch(`${svc.url}/debug/traces/${traceId}`)).json()) as { spans: Array<{ name: string; kind: string; span_id: string; attributes: Record<string, unknown> }> };
    const span = trace.spans.find((s) => s.name === 'chat llama-test');
    assert.equal(span?.kind, 'client');
    assert.equal(span?.attributes['gen_ai.provider.name'], 'openai');
    assert.equal(span?.attributes['gen_ai.usage.input_tokens'], 11);
    assert.equal(String(sent?.headers.traceparent).split('-')[2], span?.span_id);
    assert.ok(!svc.raw.join('\n').includes(upstreamKey), 'the upstream key never reaches a log line');
  });

  it('relays a stream split into single bytes, and counts chunks when the upstream sends no usage', async () => {
    fake.behaviour = 'split';
    const split = await generate(svc);
    assert.match(split.text, /^data: \{"token":"Hello"\}\n\n/);
    assert.ok(split.text.includes('data: {"token":" — 🥟!"}'));
    const before = metricValue(await (await fetch(`${svc.url}/metrics`)).text(), 'inference_generated_tokens_total{model="llama-test",service="inference"}') ?? 0;
    fake.behaviour = 'no-usage';
    await generate(svc);
    const afterCount = metricValue(await (await fetch(`${svc.url}/metrics`)).text(), 'inference_generated_tokens_total{model="llama-test",service="inference"}') ?? 0;
    assert.equal(afterCount - before, 4);
  });

  it('turns upstream failures into an error event then done, with outcome upstream_error', async () => {
    const expectations: Array<[FakeUpstream['behaviour'], RegExp]> = [
      ['drop', /^data: \{"token":"Hel"\}\n\ndata: \{"token":"lo"\}\n\ndata: \{"error":"the upstream connection dropped mid-stream \([^"]+\)","code":"INFERENCE_UPSTREAM_UNAVAILABLE"\}\n\ndata: \{"done":true,"model":"llama-test","finish_reason":(?:"[a-z_]+"|null),"usage":\{"prompt_tokens":\d+,"completion_tokens":\d+\}\}\n\n$/],
      ['status', /^data: \{"error":"upstream answered 500: \{\\"error\\":\{\\"message\\":\\"model overloaded, try again\\".*","code":"INFERENCE_UPSTREAM_UNAVAILABLE"\}\n\ndata: \{"done":true,"model":"llama-test","finish_reason":(?:"[a-z_]+"|null),"usage":\{"prompt_tokens":\d+,"completion_tokens":\d+\}\}\n\n$/],
      ['malformed', /^data: \{"token":"ok"\}\n\ndata: \{"error":"upstream sent a malformed stream chunk: [^\n]+","code":"INFERENCE_GENERATION_FAILED"\}\n\ndata: \{"done":true,"model":"llama-test","finish_reason":(?:"[a-z_]+"|null),"usage":\{"prompt_tokens":\d+,"completion_tokens":\d+\}\}\n\n$/],
    ];
    for (const [behaviour, pattern] of expectations) {
      fake.behaviour = behaviour;
      const { text, traceId } = await generate(svc);
      assert.match(text, pattern, behaviour);
      const line = await eventually(() => svc.lines.find((l) => l.message === 'generation_completed' && l.trace_id === traceId));
      assert.equal(line.outcome, 'upstream_error');
      assert.equal(line.level, 'warning');
    }
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'inference_generation_duration_seconds_count{model="llama-test",outcome="upstream_error",service="inference"}'), 3);
  });

  it('codes an upstream refusal before any token: 429 rate-limited with its Retry-After, 401 refused', async () => {
    fake.behaviour = 'rate-limited';
    const limited = await generate(svc);
    assert.match(limited.text, /^data: \{"error":"upstream answered 429: [^\n]*","code":"INFERENCE_UPSTREAM_RATE_LIMITED","retry_after":20\}\n\ndata: \{"done":true,"model":"llama-test","finish_reason":(?:"[a-z_]+"|null),"usage":\{"prompt_tokens":\d+,"completion_tokens":\d+\}\}\n\n$/);
    fake.behaviour = 'ok';
    fake.requiredKey = 'sk-another-key-entirely';
    try {
      const refused = await generate(svc);
      assert.match(refused.text, /^data: \{"error":"upstream answered 401: [^\n]*","code":"INFERENCE_UPSTREAM_REFUSED"\}\n\ndata: \{"done":true,"model":"llama-test","finish_reason":(?:"[a-z_]+"|null),"usage":\{"prompt_tokens":\d+,"completion_tokens":\d+\}\}\n\n$/);
      assert.ok(!refused.text.includes(upstreamKey), 'the configured key is never echoed');
    } finally {
      delete fake.requiredKey;
    }
  });

  it('stops the upstream request when the client disconnects', async () => {
    fake.behaviour = 'slow';
    const abandoned = fake.abandoned;
    const aborter = new AbortController();
    const res = await postJson(`${svc.url}/generate`, { messages: MESSAGES }, { 'x-internal-api-key': svc.key }, aborter.signal);
    await new SseReader(res).waitFor(2);
    aborter.abort();
    await eventually(() => fake.abandoned === abandoned + 1);
    await eventually(async () => ((await (await fetch(`${svc.url}/stats`)).json()) as { workers: { busy: number } }).workers.busy === 0);
  });

  it('lists the upstream models and swaps between them', async () => {
    const list = (await (await fetch(`${svc.url}/models`)).json()) as { models: Array<{ id: string; engine: string; loaded: boolean }>; current_model: string };
    assert.deepEqual(list, { models: [{ id: 'llama-test', engine: 'openai', loaded: true }, { id: 'qwen-test', engine: 'openai', loaded: false }], current_model: 'llama-test' });
    const swap = await postJson(`${svc.url}/models/swap`, { model: 'qwen-test' }, { 'x-internal-api-key': svc.key });
    assert.equal(swap.status, 202);
    assert.deepEqual(await swap.json(), { current_model: 'qwen-test', previous_model: 'llama-test' });
    fake.requests.length = 0;
    await generate(svc);
    assert.equal(fake.requests.find((r) => r.path === '/v1/chat/completions')?.body?.model, 'qwen-test');
    const unknown = await postJson(`${svc.url}/models/swap`, { model: 'mistral' }, { 'x-internal-api-key': svc.key });
    assert.equal(unknown.status, 404);
    assert.match(((await unknown.json()) as { error: { message: string } }).error.message, /available models: llama-test, qwen-test/);
  });
});

describe('ENGINE=openai: the upstream watched as a dependency', { timeout: scaled(60_000) }, () => {
  type Health = { dependencies: Record<string, { ok: boolean | null; detail: string }> };
  const upstreamState = async (url: string, ok: boolean) => {
    let health: Health | undefined;
    await eventually(async () => {
      health = (await (await fetch(`${url}/health`)).json()) as Health;
      return health.dependencies['upstream']?.ok === ok;
    });
    return health!.dependencies['upstream']!;
  };

  it('reports reachable, key accepted and model listed, then a refused key, naming OPENAI_API_KEY; /ready stays 200', async () => {
    const fake = await startFakeOpenAi();
    const key = `sk-${randomBytes(12).toString('hex')}`;
    fake.requiredKey = key;
    const svc = await startInference({ ENGINE: 'openai', OPENAI_BASE_URL: fake.baseUrl, OPENAI_MODEL: 'llama-test', OPENAI_API_KEY: key, DEPENDENCY_PROBE_INTERVAL_MS: '200' });
    try {
      await waitReady(svc.url);
      const good = await upstreamState(svc.url, true);
      assert.equal(good.detail, `${fake.baseUrl} reachable, key accepted, serves llama-test`);
      fake.requiredKey = 'sk-rotated';
      const refused = await upstreamState(svc.url, false);
      assert.equal(refused.detail, `key refused: ${fake.baseUrl} answered 401 to the configured API key; check OPENAI_API_KEY`);
      assert.ok(!JSON.stringify(refused).includes(key), 'the key never appears');
      assert.equal((await fetch(`${svc.url}/ready`)).status, 200, 'inference is ready with its engine; the upstream is a dependency');
      const metrics = await (await fetch(`${svc.url}/metrics`)).text();
      assert.match(metrics, /^dependency_up\{dependency="upstream",service="inference"\} 0$/m);
    } finally {
      await svc.stop();
      await fake.close();
    }
  });

  it('says so when the upstream does not list the configured model', async () => {
    const fake = await startFakeOpenAi();
    const svc = await startInference({ ENGINE: 'openai', OPENAI_BASE_URL: fake.baseUrl, OPENAI_MODEL: 'mistral-large', DEPENDENCY_PROBE_INTERVAL_MS: '200' });
    try {
      const missing = await upstreamState(svc.url, false);
      assert.equal(missing.detail, `model not listed: ${fake.baseUrl} does not serve "mistral-large" (it serves: llama-test, qwen-test); check OPENAI_MODEL`);
    } finally {
      await svc.stop();
      await fake.close();
    }
  });
});

describe('ENGINE=openai with the upstream down', { timeout: scaled(60_000) }, () => {
  it('starts, reports the model, and answers each generation with a clear error then done', async () => {
    const svc = await startInference({ ENGINE: 'openai', OPENAI_BASE_URL: await closedPortUrl(), OPENAI_MODEL: 'llama-test' });
    try {
      await waitReady(svc.url);
      const { text } = await generate(svc);
      assert.match(text, /^data: \{"error":"cannot reach the upstream at http:\/\/127\.0\.0\.1:\d+\/v1: connection refused","code":"INFERENCE_UPSTREAM_UNAVAILABLE"\}\n\ndata: \{"done":true,"model":"llama-test","finish_reason":(?:"[a-z_]+"|null),"usage":\{"prompt_tokens":\d+,"completion_tokens":\d+\}\}\n\n$/);
      await eventually(() => svc.lines.some((l) => l.message === 'upstream_models_unavailable' && l.level === 'warning'));
      const health = (await (await fetch(`${svc.url}/health`)).json()) as { dependencies: Record<string, { ok: boolean | null; detail: string }> };
      if (health.dependencies['upstream']?.ok !== null) assert.match(health.dependencies['upstream']!.detail, /^unreachable: cannot reach the upstream at .*; check OPENAI_BASE_URL/);
    } finally {
      await svc.stop();
    }
  });
});
