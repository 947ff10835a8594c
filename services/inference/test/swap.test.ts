import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertDone, metricValue } from './support/in-process.js';
import { eventually, startInference, waitReady, type RunningInference } from './support/service.js';
import { postJson, SseReader } from './support/sse-client.js';
import { scaled } from '../../../test/support/timeouts.js';

const MESSAGES = [{ role: 'user', content: 'Explain how to temper spices for dal' }];

describe('model swap on a real process', { timeout: scaled(60_000) }, () => {
  let svc: RunningInference;
  let headers: Record<string, string>;

  before(async () => {
    svc = await startInference({ DEMO_TOKENS_PER_SECOND: '40', DEMO_LOAD_MS: '200' });
    headers = { 'x-internal-api-key': svc.key };
    await waitReady(svc.url);
  });
  after(async () => {
    await svc?.stop();
  });

  it('drains the generation in flight, queues new ones, loads the new model, answers 202', async () => {
    const inFlightRes = await postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: 30, seed: 4 }, headers);
    const inFlightTrace = inFlightRes.headers.get('x-trace-id');
    const inFlight = new SseReader(inFlightRes);
    await inFlight.waitFor(2);

    let swapAnsweredAt = 0;
    const swap = postJson(`${svc.url}/models/swap`, { model: 'demo-large' }, headers).then((r) => ((swapAnsweredAt = performance.now()), r));
    // While the swap runs the service is not ready, and a second swap is refused.
    const notReady = await eventually(async () => {
      const r = await fetch(`${svc.url}/ready`);
      return r.status === 503 && ((await r.json()) as { checks: Array<{ detail: string }> });
    });
    assert.equal(notReady.checks[0]?.detail, 'swapping model demo → demo-large');
    const health = (await (await fetch(`${svc.url}/health`)).json()) as { ready: boolean; current_model: string };
    assert.equal(health.ready, false);
    const again = await postJson(`${svc.url}/models/swap`, { model: 'demo' }, headers);
    assert.equal(again.status, 409);
    assert.equal(((await again.json()) as { error: { code: string } }).error.code, 'INFERENCE_SWAP_IN_PROGRESS');

    // A generation sent during the swap waits in the queue instead of being refused.
    const during = postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: 5 }, headers);
    await eventually(async () => ((await (await fetch(`${svc.url}/stats`)).json()) as { queue: { depth: number } }).queue.depth === 1);

    // The generation in flight finishes completely, on the old model, before the swap answers.
    const events = await inFlight.readAll();
    const finishedAt = events.at(-1)?.at ?? 0;
    assert.equal(events.length, 31);
    assertDone(events.at(-1)?.data, { model: 'demo', completionTokens: 30 });
    assert.ok(events.slice(0, 30).every((e) => typeof (e.data as { token?: unknown }).token === 'string'));

    const swapped = await swap;
    assert.equal(swapped.status, 202);
    assert.deepEqual(await swapped.json(), { current_model: 'demo-large', previous_model: 'demo' });
    assert.ok(swapAnsweredAt > finishedAt, 'the swap waited for the generation in flight');

    const next = await during;
    const nextTrace = next.headers.get('x-trace-id');
    assert.equal(next.status, 200);
    assert.match(await next.text(), /data: \{"done":true,"model":"demo-large","finish_reason":(?:"[a-z_]+"|null),"usage":\{"prompt_tokens":\d+,"completion_tokens":5\}\}\n\n$/);
    const models = await eventually(() => {
      const done = svc.lines.filter((l) => l.message === 'generation_completed');
      const a = done.find((l) => l.trace_id === inFlightTrace);
      const b = done.find((l) => l.trace_id === nextTrace);
      return a && b && [a.model, a.outcome, b.model, b.outcome];
    });
    assert.deepEqual(models, ['demo', 'completed', 'demo-large', 'completed']);

    assert.equal((await fetch(`${svc.url}/ready`)).status, 200);
    const list = (await (await fetch(`${svc.url}/models`)).json()) as { current_model: string; models: Array<{ id: string; loaded: boolean }> };
    assert.equal(list.current_model, 'demo-large');
    assert.deepEqual(list.models.map((m) => [m.id, m.loaded]), [['demo', false], ['demo-large', true]]);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'inference_model_loaded{model="demo",service="inference"}'), 0);
    assert.equal(metricValue(metrics, 'inference_model_loaded{model="demo-large",service="inference"}'), 1);
    assert.equal(metricValue(metrics, 'inference_model_load_duration_seconds_count{model="demo-large",service="inference"}'), 1);
    assert.equal(metricValue(metrics, 'inference_generated_tokens_total{model="demo-large",service="inference"}'), 5);
    const swapLine = await eventually(() => svc.lines.find((l) => l.message === 'model_swap_completed'));
    assert.equal(swapLine.model_tag, 'demo-large');
    assert.ok(Number(swapLine.drain_ms) > 0);
  });

  it('answers 404 with the list for an unknown model and 401 without the key', async () => {
    const unknown = await postJson(`${svc.url}/models/swap`, { model: 'gpt-5' }, headers);
    assert.equal(unknown.status, 404);
    const body = (await unknown.json()) as { error: { code: string; message: string } };
    assert.equal(body.error.code, 'INFERENCE_MODEL_NOT_FOUND');
    assert.equal(body.error.message, 'unknown model "gpt-5"; available models: demo, demo-large');
    assert.equal((await postJson(`${svc.url}/models/swap`, { model: 'demo' })).status, 401);
  });
});
