import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { assertDone, buildTestInference, metricValue, sseEvents } from '../test/support/in-process.js';
import { UpstreamError, type Engine, type EngineStream } from './engines/engine.js';

const MESSAGES = [{ role: 'user', content: 'Why is chai so comforting on a rainy day?' }];

describe('inference app (in-process)', () => {
  it('streams the exact SSE contract: tokens, then done with the model and usage', async () => {
    const t = await buildTestInference();
    const res = await t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key }, payload: { messages: MESSAGES, max_tokens: 12, seed: 5 } });
    assert.equal(res.statusCode, 200);
    assert.equal(res.headers['content-type'], 'text/event-stream; charset=utf-8');
    assert.match(String(res.headers['x-trace-id']), /^[0-9a-f]{32}$/);
    const events = sseEvents(res.body);
    assert.equal(events.length, 13);
    for (const e of events.slice(0, 12)) assert.deepEqual(Object.keys(e as object), ['token']);
    assert.deepEqual(events.at(-1), { done: true, model: 'demo', finish_reason: 'length', usage: { prompt_tokens: 15, completion_tokens: 12 } });
    assert.match((events as Array<{ token: string }>).slice(0, 12).map((e) => e.token).join(''), /^This answer about chai comforting rainy/);
    await t.close();
  });

  it('refuses callers without the internal key (401 envelope) and does not count them as invalid', async () => {
    const t = await buildTestInference();
    for (const headers of [{}, { 'x-internal-api-key': 'wrong' }, { 'x-internal-api-key': `${t.key}x` }]) {
      const res = await t.app.inject({ method: 'POST', url: '/generate', headers, payload: { messages: MESSAGES } });
      assert.equal(res.statusCode, 401);
      assert.equal(res.json().error.code, 'INFERENCE_UNAUTHORIZED');
      assert.match(res.json().error.trace_id, /^[0-9a-f]{32}$/);
    }
    const swap = await t.app.inject({ method: 'POST', url: '/models/swap', payload: { model: 'demo-large' } });
    assert.equal(swap.statusCode, 401);
    const metrics = (await t.app.inject('/metrics')).body;
    assert.equal(metricValue(metrics, 'inference_rejected_total{reason="invalid",service="inference"}'), 0);
    assert.ok(!t.logs.text().includes(t.key), 'the key never reaches a log line');
    await t.close();
  });

  it('answers 400 with a message naming the field, and counts each as rejected invalid', async () => {
    const t = await buildTestInference({ MAX_MESSAGES: '3', MAX_CONTENT_CHARS: '50' });
    const cases: Array<[unknown, string]> = [
      [{}, 'messages is required'],
      [{ messages: [] }, 'messages is empty: send at least one message'],
      [{ messages: Array(4).fill(MESSAGES[0]) }, 'messages has 4 entries; at most 3 are allowed'],
      [{ messages: [{ role: 'wizard', content: 'hi' }] }, 'messages[0].role must be one of system, user, assistant, tool'],
      [{ messages: [{ role: 'user' }] }, 'messages[0].content is required'],
      [{ messages: [{ role: 'user', content: 42 }] }, 'messages[0].content must be a string or null'],
      [{ messages: [{ role: 'user', content: '' }] }, 'messages[0].content is empty'],
      [{ messages: [{ role: 'user', content: 'x'.repeat(51) }] }, 'messages[0].content has 51 characters; at most 50 are allowed'],
      [{ messages: MESSAGES, temperature: '0.5' }, 'temperature must be a number'],
      [{ messages: MESSAGES, temperature: 3 }, 'temperature must be between 0 and 2, got 3'],
      [{ messages: MESSAGES, max_tokens: 5000 }, 'max_tokens must be between 1 and 4096, got 5000'],
      [{ messages: MESSAGES, max_tokens: 2.5 }, 'max_tokens must be a whole number'],
      [{ messages: MESSAGES, top_k: 0 }, 'top_k must be between 1 and 1000, got 0'],
      [[1, 2], 'the request body must be an object'],
    ];
    for (const [payload, message] of cases) {
      const res = await t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key }, payload: payload as object });
      assert.equal(res.statusCode, 400, JSON.stringify(payload));
      assert.equal(res.json().error.code, 'INFERENCE_INVALID_REQUEST', JSON.stringify(payload));
      assert.equal(res.json().error.message, message);
    }
    const badJson = await t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key, 'content-type': 'application/json' }, payload: '{"messages":' });
    assert.equal(badJson.statusCode, 400);
    assert.equal(badJson.json().error.code, 'INVALID_JSON');
    const metrics = (await t.app.inject('/metrics')).body;
    assert.equal(metricValue(metrics, 'inference_rejected_total{reason="invalid",service="inference"}'), cases.length + 1);
    await t.close();
  });

  it('refuses an unknown model with the list (404) and a known but unloaded one (409)', async () => {
    const t = await buildTestInference();
    const unknown = await t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key }, payload: { messages: MESSAGES, model: 'gpt-9' } });
    assert.equal(unknown.statusCode, 404);
    assert.deepEqual(unknown.json().error.code, 'INFERENCE_MODEL_NOT_FOUND');
    assert.equal(unknown.json().error.message, 'unknown model "gpt-9"; available models: demo, demo-large');
    const unloaded = await t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key }, payload: { messages: MESSAGES, model: 'demo-large' } });
    assert.equal(unloaded.statusCode, 409);
    assert.equal(unloaded.json().error.code, 'INFERENCE_MODEL_NOT_LOADED');
    assert.match(unloaded.json().error.message, /model "demo-large" is not loaded \(current: "demo"\)/);
    assert.equal(t.app.inference.pool.snapshot.busy, 0, 'the slot was given back');
    await t.close();
  });

  it('reports health, readiness, models and stats', async () => {
    const t = await buildTestInference({ DEMO_LOAD_MS: '150' }, { waitForModel: false });
    const loading = await t.app.inject('/ready');
    assert.equal(loading.statusCode, 503);
    assert.equal(loading.json().checks[0].detail, 'loading model demo');
    const healthLoading = (await t.app.inject('/health')).json();
    assert.equal(healthLoading.status, 'ok');
    assert.equal(healthLoading.ready, false);
    assert.equal(healthLoading.current_model, null);
    const deadline = Date.now() + 5000;
    while ((await t.app.inject('/ready')).statusCode !== 200) {
      assert.ok(Date.now() < deadline, 'the model loaded within 5 s');
      await new Promise((r) => setTimeout(r, 20));
    }
    const health = (await t.app.inject('/health')).json();
    assert.deepEqual({ status: health.status, ready: health.ready, current_model: health.current_model }, { status: 'ok', ready: true, current_model: 'demo' });
    assert.deepEqual((await t.app.inject('/models')).json(), {
      models: [
        { id: 'demo', engine: 'demo', loaded: true },
        { id: 'demo-large', engine: 'demo', loaded: false },
      ],
      current_model: 'demo',
    });
    await t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key }, payload: { messages: MESSAGES, max_tokens: 7 } });
    const stats = (await t.app.inject('/stats')).json();
    assert.deepEqual(stats.workers, { total: 2, busy: 0 });
    assert.deepEqual(stats.queue, { depth: 0, limit: 16 });
    assert.equal(stats.generations.completed, 1);
    assert.equal(stats.generations.failed, 0);
    assert.equal(stats.tokens_generated, 7);
    assert.ok(stats.tokens_per_second_1m > 0);
    assert.equal(typeof stats.uptime_seconds, 'number');
    const metrics = (await t.app.inject('/metrics')).body;
    assert.equal(metricValue(metrics, 'inference_model_loaded{model="demo",service="inference"}'), 1);
    assert.equal(metricValue(metrics, 'inference_model_loaded{model="demo-large",service="inference"}'), 0);
    assert.equal(metricValue(metrics, 'inference_model_load_duration_seconds_count{model="demo",service="inference"}'), 1);
    assert.equal(metricValue(metrics, 'inference_workers{service="inference"}'), 2);
    await t.close();
  });

  it('swaps models (202), refuses unknown ones (404) and a concurrent swap (409)', async () => {
    const t = await buildTestInference({ DEMO_LOAD_MS: '100' });
    const headers = { 'x-internal-api-key': t.key };
    const unknown = await t.app.inject({ method: 'POST', url: '/models/swap', headers, payload: { model: 'llama' } });
    assert.equal(unknown.statusCode, 404);
    assert.match(unknown.json().error.message, /available models: demo, demo-large/);
    const missing = await t.app.inject({ method: 'POST', url: '/models/swap', headers, payload: {} });
    assert.equal(missing.statusCode, 400);
    assert.equal(missing.json().error.message, 'model is required');
    const first = t.app.inject({ method: 'POST', url: '/models/swap', headers, payload: { model: 'demo-large' } });
    await new Promise((r) => setTimeout(r, 20));
    const second = await t.app.inject({ method: 'POST', url: '/models/swap', headers, payload: { model: 'demo' } });
    assert.equal(second.statusCode, 409);
    assert.equal(second.json().error.code, 'INFERENCE_SWAP_IN_PROGRESS');
    const done = await first;
    assert.equal(done.statusCode, 202);
    assert.deepEqual(done.json(), { current_model: 'demo-large', previous_model: 'demo' });
    const same = await t.app.inject({ method: 'POST', url: '/models/swap', headers, payload: { model: 'demo-large' } });
    assert.deepEqual([same.statusCode, same.json()], [202, { current_model: 'demo-large', previous_model: 'demo-large' }]);
    const metrics = (await t.app.inject('/metrics')).body;
    assert.equal(metricValue(metrics, 'inference_model_loaded{model="demo",service="inference"}'), 0);
    assert.equal(metricValue(metrics, 'inference_model_loaded{model="demo-large",service="inference"}'), 1);
    assert.deepEqual(t.logs.find('model_swap_completed').map((l) => [l.from_model, l.model_tag]), [['demo', 'demo-large']]);
    await t.close();
  });

  it('rolls back to the previous model when loading the new one fails', async () => {
    const demo = (await import('./engines/demo-engine.js')).DemoEngine;
    const engine = new demo({ model: 'demo', tokensPerSecond: 0, loadMs: 0, failAfterTokens: undefined });
    const load = engine.load.bind(engine);
    engine.load = async (model: string) => {
      if (model === 'demo-large') throw new UpstreamError('weights file is corrupt');
      return load(model);
    };
    const t = await buildTestInference({}, { engine });
    const res = await t.app.inject({ method: 'POST', url: '/models/swap', headers: { 'x-internal-api-key': t.key }, payload: { model: 'demo-large' } });
    assert.equal(res.statusCode, 502);
    assert.equal(res.json().error.code, 'INFERENCE_MODEL_LOAD_FAILED');
    assert.equal(res.json().error.message, 'loading model "demo-large" failed: weights file is corrupt; rolled back to "demo"');
    assert.equal(t.app.inference.models.current, 'demo');
    assert.equal((await t.app.inject('/ready')).statusCode, 200);
    await t.close();
  });

  it('ends a generation that runs past GENERATION_TIMEOUT_MS with an error event, then done', async () => {
    const t = await buildTestInference({ GENERATION_TIMEOUT_MS: '150', DEMO_TOKENS_PER_SECOND: '40' });
    const res = await t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key }, payload: { messages: MESSAGES } });
    const events = sseEvents(res.body);
    assert.deepEqual(events.at(-2), { error: 'generation timed out after 150 ms', code: 'INFERENCE_GENERATION_TIMEOUT' });
    assertDone(events.at(-1), { model: 'demo', promptTokens: 15 });
    assert.ok(events.length > 2 && events.length < 12, `${events.length} events`);
    const metrics = (await t.app.inject('/metrics')).body;
    assert.equal(metricValue(metrics, 'inference_generation_duration_seconds_count{model="demo",outcome="timeout",service="inference"}'), 1);
    const completed = t.logs.find('generation_completed')[0];
    assert.equal(completed?.outcome, 'timeout');
    assert.equal(completed?.level, 'warning');
    await t.close();
  });

  it('hides an unexpected engine failure from the client but logs it with its stack', async () => {
    const engine: Engine = {
      id: 'broken',
      capabilities: { topP: false, topK: false, stop: false, seed: false, tools: false, responseFormat: false },
      listModels: async () => [{ id: 'm' }],
      load: async () => {},
      unload: async () => {},
      stream: (): EngineStream => ({
        summary: {},
        async *[Symbol.asyncIterator]() {
          yield { token: 'partial' };
          throw new TypeError('cannot read properties of undefined (secret internals)');
        },
      }),
    };
    const t = await buildTestInference({ DEMO_MODEL: 'demo' }, { engine, waitForModel: false });
    await t.app.inject('/health');
    await t.app.inference.models.loadInitial('m');
    const res = await t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key }, payload: { messages: MESSAGES } });
    const events = sseEvents(res.body);
    assert.deepEqual(events.slice(0, 2), [{ token: 'partial' }, { error: 'the engine failed unexpectedly; see the inference logs', code: 'INFERENCE_GENERATION_FAILED' }]);
    assertDone(events[2], { model: 'm', completionTokens: 1 });
    assert.equal(events.length, 3);
    const line = t.logs.find('generation_completed')[0];
    assert.equal(line?.outcome, 'upstream_error');
    assert.equal(line?.error_type, 'TypeError');
    assert.match(String(line?.stack), /secret internals/);
    await t.close();
  });

  it('logs generation_started and generation_completed without message content', async () => {
    const t = await buildTestInference();
    const secret = 'my private question about zucchini';
    await t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key }, payload: { messages: [{ role: 'user', content: secret }], max_tokens: 3 } });
    const started = t.logs.find('generation_started')[0];
    const completed = t.logs.find('generation_completed')[0];
    assert.equal(started?.logger, 'generation');
    assert.equal(started?.model, 'demo');
    assert.deepEqual(
      { model: completed?.model, outcome: completed?.outcome, completion_tokens: completed?.completion_tokens, finish_reason: completed?.finish_reason },
      { model: 'demo', outcome: 'completed', completion_tokens: 3, finish_reason: 'length' },
    );
    for (const field of ['prompt_tokens', 'ttft_ms', 'duration_ms']) assert.equal(typeof completed?.[field], 'number', field);
    assert.equal(completed?.trace_id, started?.trace_id);
    assert.ok(!t.logs.text().includes('zucchini'), 'message text never reaches the log');
    assert.deepEqual([started?.system_prompt_chars, started?.temperature], [0, null]);

    // A system prompt: its length is logged (so an operator can see one arrived), never its text.
    await t.app.inject({
      method: 'POST',
      url: '/generate',
      headers: { 'x-internal-api-key': t.key },
      payload: { messages: [{ role: 'system', content: 'Speak only of aubergines.' }, { role: 'user', content: 'hi' }], max_tokens: 2, temperature: 0.4 },
    });
    const second = t.logs.find('generation_started')[1];
    assert.deepEqual([second?.system_prompt_chars, second?.temperature, second?.max_tokens], ['Speak only of aubergines.'.length, 0.4, 2]);
    assert.ok(!t.logs.text().includes('aubergines'), 'the system prompt never reaches the log');
    await t.close();
  });

  it('ends running generations with an error event when the service shuts down', async () => {
    const t = await buildTestInference({ DEMO_TOKENS_PER_SECOND: '40' });
    const pending = t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key }, payload: { messages: MESSAGES } });
    await new Promise((r) => setTimeout(r, 80));
    t.app.inference.runner.abortAll();
    const events = sseEvents((await pending).body);
    assert.deepEqual(events.at(-2), { error: 'the inference service is shutting down; retry the request', code: 'INFERENCE_SHUTTING_DOWN' });
    assertDone(events.at(-1), { model: 'demo' });
    const refused = await t.app.inject({ method: 'POST', url: '/generate', headers: { 'x-internal-api-key': t.key }, payload: { messages: MESSAGES } });
    assert.equal(refused.statusCode, 503);
    assert.equal(refused.json().error.code, 'INFERENCE_SHUTTING_DOWN');
    await t.close();
  });
});
