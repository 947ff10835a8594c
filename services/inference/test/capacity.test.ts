import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { assertDone, DONE_FRAME, metricValue } from './support/in-process.js';
import { eventually, startInference, waitReady, type RunningInference } from './support/service.js';
import { postJson, SseReader } from './support/sse-client.js';
import { scaled } from '../../../test/support/timeouts.js';

const MESSAGES = [{ role: 'user', content: 'Tell me a long story about monsoon evenings' }];

interface TraceSpan {
  name: string;
  attributes: Record<string, unknown>;
  events: Array<{ name: string }>;
}

describe('worker pool limits and client disconnects on a real process (WORKERS=1, QUEUE_LIMIT=1)', { timeout: scaled(60_000) }, () => {
  let svc: RunningInference;
  let headers: Record<string, string>;

  before(async () => {
    svc = await startInference({ WORKERS: '1', QUEUE_LIMIT: '1', DEMO_TOKENS_PER_SECOND: '20' });
    headers = { 'x-internal-api-key': svc.key };
    await waitReady(svc.url);
  });
  after(async () => {
    await svc?.stop();
  });

  it('queues one, refuses the next with 503 + Retry-After, and frees the worker when a client leaves', async () => {
    // A holds the only worker.
    const aborter = new AbortController();
    const first = await postJson(`${svc.url}/generate`, { messages: MESSAGES }, headers, aborter.signal);
    const firstTrace = first.headers.get('x-trace-id') as string;
    const a = new SseReader(first);
    await a.waitFor(2);

    // B waits in the queue: no answer yet.
    let bAnswered = false;
    const second = postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: 5 }, headers).then((r) => ((bAnswered = true), r));
    const stats = await eventually(async () => {
      const s = (await (await fetch(`${svc.url}/stats`)).json()) as { workers: { busy: number; total: number }; queue: { depth: number; limit: number } };
      return s.queue.depth === 1 && s;
    });
    assert.deepEqual(stats.workers, { total: 1, busy: 1 });
    assert.deepEqual(stats.queue, { depth: 1, limit: 1 });
    assert.equal(bAnswered, false);

    // C is over capacity.
    const third = await postJson(`${svc.url}/generate`, { messages: MESSAGES }, headers);
    assert.equal(third.status, 503);
    assert.match(String(third.headers.get('retry-after')), /^[1-9]\d*$/);
    const body = (await third.json()) as { error: { code: string; message: string; trace_id: string } };
    assert.equal(body.error.code, 'INFERENCE_OVER_CAPACITY');
    assert.equal(body.error.message, 'all 1 workers are busy and the queue is full (1/1); retry later');
    assert.match(body.error.trace_id, /^[0-9a-f]{32}$/);
    const busyMetrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.equal(metricValue(busyMetrics, 'inference_queue_depth{service="inference"}'), 1);
    assert.equal(metricValue(busyMetrics, 'inference_workers_busy{service="inference"}'), 1);
    assert.equal(metricValue(busyMetrics, 'inference_active_generations{service="inference"}'), 1);
    assert.equal(metricValue(busyMetrics, 'inference_rejected_total{reason="over_capacity",service="inference"}'), 1);

    // A's client goes away: the generation stops and B gets the worker.
    aborter.abort();
    const b = new SseReader(await second);
    const bEvents = await b.readAll();
    assert.equal(bEvents.length, 6);
    assertDone(bEvents.at(-1)?.data, { model: 'demo', completionTokens: 5 });

    // And the one after B is served too.
    const d = await postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: 2 }, headers);
    assert.equal(d.status, 200);
    assert.match(await d.text(), new RegExp(`${DONE_FRAME}$`));

    // The abandoned generation is recorded as client_disconnected: log, metrics, span, stats.
    const line = await eventually(() => svc.lines.find((l) => l.message === 'generation_completed' && l.trace_id === firstTrace));
    assert.equal(line.outcome, 'client_disconnected');
    assert.ok(Number(line.completion_tokens) >= 2 && Number(line.completion_tokens) < 60, `A streamed ${String(line.completion_tokens)} tokens`);
    const access = await eventually(() => svc.lines.find((l) => l.message === 'http_request_completed' && l.trace_id === firstTrace));
    assert.equal(access.client_disconnected, true);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'inference_generation_duration_seconds_count{model="demo",outcome="client_disconnected",service="inference"}'), 1);
    assert.equal(metricValue(metrics, 'inference_generation_duration_seconds_count{model="demo",outcome="completed",service="inference"}'), 2);
    assert.equal(metricValue(metrics, 'inference_workers_busy{service="inference"}'), 0);
    assert.equal(metricValue(metrics, 'inference_active_generations{service="inference"}'), 0);
    const trace = (await (await fetch(`${svc.url}/debug/traces/${firstTrace}`)).json()) as { spans: TraceSpan[] };
    const span = trace.spans.find((s) => s.name === 'chat demo');
    assert.ok(span, `spans: ${trace.spans.map((s) => s.name).join(', ')}`);
    assert.equal(span.attributes['samosachaat.generation.outcome'], 'client_disconnected');
    assert.equal(span.attributes['samosachaat.client_disconnected'], true);
    assert.equal(span.attributes['gen_ai.request.model'], 'demo');
    assert.equal(span.attributes['gen_ai.usage.output_tokens'], line.completion_tokens);
    assert.deepEqual(span.events.map((e) => e.name), ['gen_ai.first_token']);
    const stats2 = (await (await fetch(`${svc.url}/stats`)).json()) as { generations: { client_disconnected: number; completed: number } };
    assert.equal(stats2.generations.client_disconnected, 1);
    assert.equal(stats2.generations.completed, 2);
  });

  it('drops a queued request whose client leaves before it gets a worker', async () => {
    const holder = new AbortController();
    const a = new SseReader(await postJson(`${svc.url}/generate`, { messages: MESSAGES }, headers, holder.signal));
    await a.waitFor(1);
    const queued = new AbortController();
    const waiting = postJson(`${svc.url}/generate`, { messages: MESSAGES }, headers, queued.signal).catch((err: Error) => err);
    await eventually(async () => ((await (await fetch(`${svc.url}/stats`)).json()) as { queue: { depth: number } }).queue.depth === 1);
    queued.abort();
    assert.ok((await waiting) instanceof Error);
    await eventually(async () => ((await (await fetch(`${svc.url}/stats`)).json()) as { queue: { depth: number } }).queue.depth === 0);
    holder.abort();
    await eventually(async () => ((await (await fetch(`${svc.url}/stats`)).json()) as { workers: { busy: number } }).workers.busy === 0);
    const next = await postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: 1 }, headers);
    assert.equal(next.status, 200);
    await next.text();
  });
});
