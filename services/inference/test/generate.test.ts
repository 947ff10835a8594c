import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { connect } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, it } from 'node:test';
import { assertDone, DONE_FRAME, metricValue } from './support/in-process.js';
import { requireBinary } from '@samosachaat/service-kit/testing';
import { eventually, startInference, waitReady, type RunningInference } from './support/service.js';
import { postJson, SseReader } from './support/sse-client.js';
import { scaled } from '../../../test/support/timeouts.js';

const MESSAGES = [{ role: 'user', content: 'What makes a good masala chai recipe?' }];
const TOKEN_FRAME = /^data: \{"token":"(?:[^"\\]|\\.)*"\}\n\n/;

describe('POST /generate on a real process', { timeout: scaled(60_000) }, () => {
  let svc: RunningInference;

  before(async () => {
    svc = await startInference({ DEMO_TOKENS_PER_SECOND: '500' });
    await waitReady(svc.url);
  });
  after(async () => {
    await svc?.stop();
  });

  it('streams the exact SSE contract: token frames, then one done frame, nothing else', async () => {
    const res = await postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: 25, seed: 1 }, { 'x-internal-api-key': svc.key });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('content-type'), 'text/event-stream; charset=utf-8');
    assert.equal(res.headers.get('cache-control'), 'no-cache, no-transform');
    const traceId = res.headers.get('x-trace-id');
    assert.match(String(traceId), /^[0-9a-f]{32}$/);
    assert.equal(res.headers.get('traceparent')?.split('-')[1], traceId);
    let body = await res.text();
    let tokens = 0;
    while (TOKEN_FRAME.test(body)) {
      body = body.replace(TOKEN_FRAME, '');
      tokens++;
    }
    assert.equal(tokens, 25);
    assert.match(body, new RegExp(`^${DONE_FRAME}$`));
    assert.match(body, /"completion_tokens":25\}/);
  });

  it('gives the same tokens for the same messages and seed, across requests', async () => {
    const read = async (seed: number) => (await postJson(`${svc.url}/generate`, { messages: MESSAGES, seed }, { 'x-internal-api-key': svc.key })).text();
    const [a, b, c] = await Promise.all([read(77), read(77), read(78)]);
    assert.equal(a, b);
    assert.notEqual(a, c);
  });

  it('answers 401 without the key and 400 naming the field, as JSON envelopes', async () => {
    const noKey = await postJson(`${svc.url}/generate`, { messages: MESSAGES });
    assert.equal(noKey.status, 401);
    assert.equal(((await noKey.json()) as { error: { code: string } }).error.code, 'INFERENCE_UNAUTHORIZED');
    const bad = await postJson(`${svc.url}/generate`, { messages: [{ role: 'user', content: 'hi' }], top_k: 5000 }, { 'x-internal-api-key': svc.key });
    assert.equal(bad.status, 400);
    const body = (await bad.json()) as { error: { code: string; message: string; trace_id: string } };
    assert.equal(body.error.code, 'INFERENCE_INVALID_REQUEST');
    assert.equal(body.error.message, 'top_k must be between 1 and 1000, got 5000');
    assert.equal(body.error.trace_id, bad.headers.get('x-trace-id'));
  });

  it('keeps the ttft histogram and token counters right after generations', async () => {
    const before = await (await fetch(`${svc.url}/metrics`)).text();
    const count = (body: string, series: string) => metricValue(body, series) ?? 0;
    const ttft = 'inference_time_to_first_token_seconds_count{model="demo",service="inference"}';
    const generated = 'inference_generated_tokens_total{model="demo",service="inference"}';
    const prompt = 'inference_prompt_tokens_total{model="demo",service="inference"}';
    const completed = 'inference_generation_duration_seconds_count{model="demo",outcome="completed",service="inference"}';
    let streamed = 0;
    for (const max of [3, 5, 8]) {
      const reader = new SseReader(await postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: max }, { 'x-internal-api-key': svc.key }));
      streamed += (await reader.readAll()).filter((e) => typeof (e.data as { token?: unknown }).token === 'string').length;
    }
    assert.equal(streamed, 16);
    const afterBody = await (await fetch(`${svc.url}/metrics`)).text();
    assert.equal(count(afterBody, ttft) - count(before, ttft), 3);
    assert.equal(count(afterBody, generated) - count(before, generated), 16);
    assert.equal(count(afterBody, completed) - count(before, completed), 3);
    assert.ok(count(afterBody, prompt) - count(before, prompt) >= 3 * 10, 'prompt tokens counted');
    assert.ok(count(afterBody, 'inference_inter_token_latency_seconds_count{model="demo",service="inference"}') >= 13);
    assert.equal(metricValue(afterBody, 'inference_active_generations{service="inference"}'), 0);
    assert.equal(metricValue(afterBody, 'inference_workers_busy{service="inference"}'), 0);
    assert.equal(metricValue(afterBody, 'inference_workers{service="inference"}'), 2);
    assert.equal(metricValue(afterBody, 'inference_queue_depth{service="inference"}'), 0);
    assert.equal(metricValue(afterBody, 'inference_model_loaded{model="demo",service="inference"}'), 1);
    assert.ok((metricValue(afterBody, 'inference_queue_wait_seconds_count{service="inference"}') ?? 0) >= 3);
    // SPEC §4: for a stream, http_request_duration_seconds records the time to first byte.
    assert.ok((metricValue(afterBody, 'http_stream_duration_seconds_count{method="POST",route="/generate",service="inference"}') ?? 0) >= 3);
  });

  it('serves /metrics that promtool accepts', async (t) => {
    const promtool = requireBinary(t, 'promtool');
    if (!promtool) return;
    const body = await (await fetch(`${svc.url}/metrics`)).text();
    const check = spawnSync(promtool, ['check', 'metrics'], { input: body, encoding: 'utf8' });
    // No parse error and no lint either (exit 3 is lint: the doctor's metrics check would fail).
    assert.equal(check.status, 0, `promtool exit ${check.status}: ${check.stdout}${check.stderr}`);
    assert.equal(`${check.stdout}${check.stderr}`.trim(), '');
  });

  it('writes contract log lines for each generation, without message text', async () => {
    const res = await postJson(`${svc.url}/generate`, { messages: [{ role: 'user', content: 'a confidential question about pistachios' }], max_tokens: 4 }, { 'x-internal-api-key': svc.key });
    const traceId = res.headers.get('x-trace-id');
    await res.text();
    const done = await eventually(() => svc.lines.find((l) => l.message === 'generation_completed' && l.trace_id === traceId));
    assert.equal(done.service, 'inference');
    assert.equal(done.logger, 'generation');
    assert.equal(done.completion_tokens, 4);
    assert.equal(done.outcome, 'completed');
    assert.ok(svc.lines.some((l) => l.message === 'generation_started' && l.trace_id === traceId));
    assert.ok(!svc.raw.join('\n').includes('pistachios'));
    assert.ok(!svc.raw.join('\n').includes(svc.key));
  });
});

describe('a failing generation on a real process', { timeout: scaled(60_000) }, () => {
  let svc: RunningInference;

  before(async () => {
    svc = await startInference({ DEMO_TOKENS_PER_SECOND: '0', DEMO_FAIL_AFTER_TOKENS: '4' });
    await waitReady(svc.url);
  });
  after(async () => {
    await svc?.stop();
  });

  it('sends the tokens it had, then an error frame, then the done frame', async () => {
    const res = await postJson(`${svc.url}/generate`, { messages: MESSAGES }, { 'x-internal-api-key': svc.key });
    assert.equal(res.status, 200);
    const body = await res.text();
    const frames = body.split('\n\n').filter(Boolean);
    assert.equal(frames.length, 6);
    for (const frame of frames.slice(0, 4)) assert.match(frame, /^data: \{"token":"[^"]+"\}$/);
    assert.equal(frames[4], 'data: {"error":"demo engine fault injection: failing after 4 tokens (DEMO_FAIL_AFTER_TOKENS)","code":"INFERENCE_GENERATION_FAILED"}');
    assertDone(JSON.parse((frames[5] ?? '').slice('data: '.length)), { model: 'demo', completionTokens: 4 });
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'inference_generation_duration_seconds_count{model="demo",outcome="upstream_error",service="inference"}'), 1);
    const stats = (await (await fetch(`${svc.url}/stats`)).json()) as { generations: { failed: number } };
    assert.equal(stats.generations.failed, 1);
  });
});

describe('graceful shutdown of a real process', { timeout: scaled(60_000) }, () => {
  it('finishes the stream in flight on SIGTERM, refuses new work, and exits 0', async () => {
    const svc = await startInference({ DEMO_TOKENS_PER_SECOND: '50' });
    try {
      await waitReady(svc.url);
      const reader = new SseReader(await postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: 30 }, { 'x-internal-api-key': svc.key }));
      await reader.waitFor(2);
      svc.child.kill('SIGTERM');
      await eventually(() => svc.lines.some((l) => l.message === 'service_stopping'));
      const late = await postJson(`${svc.url}/generate`, { messages: MESSAGES }, { 'x-internal-api-key': svc.key }).then(
        (r) => r.status,
        (err: Error) => (err.cause as { code?: string } | undefined)?.code ?? err.message,
      );
      assert.ok(late === 'ECONNREFUSED' || late === 503, `a request after SIGTERM got ${late}`);
      const events = await reader.readAll();
      assert.equal(events.length, 31);
      assertDone(events.at(-1)?.data, { model: 'demo', completionTokens: 30 });
      assert.ok(events.every((e) => !(e.data as { error?: unknown }).error));
      assert.equal(await svc.exited, 0);
      const messages = svc.lines.map((l) => l.message);
      assert.ok(messages.indexOf('service_stopping') < messages.indexOf('generation_completed'));
      assert.ok(messages.includes('service_stopped'));
    } finally {
      await svc.stop();
    }
  });

  it('ends streams still running after SHUTDOWN_TIMEOUT_MS with an error, then done', async () => {
    const svc = await startInference({ DEMO_TOKENS_PER_SECOND: '20', SHUTDOWN_TIMEOUT_MS: '200' });
    try {
      await waitReady(svc.url);
      const reader = new SseReader(await postJson(`${svc.url}/generate`, { messages: MESSAGES }, { 'x-internal-api-key': svc.key }));
      await reader.waitFor(1);
      svc.child.kill('SIGTERM');
      const events = await reader.readAll();
      assert.deepEqual(events.at(-2)?.data, { error: 'the inference service is shutting down; retry the request', code: 'INFERENCE_SHUTTING_DOWN' });
      assertDone(events.at(-1)?.data, { model: 'demo' });
      assert.equal(await svc.exited, 0);
      assert.ok(svc.lines.some((l) => l.message === 'shutdown_timeout'));
    } finally {
      await svc.stop();
    }
  });

  it('exits promptly even when a client holds an idle or never-used connection', async () => {
    const svc = await startInference({});
    try {
      await waitReady(svc.url); // leaves a kept-alive connection in fetch's pool
      const { port } = new URL(svc.url);
      const preconnected = connect(Number(port), '127.0.0.1');
      await new Promise((resolve) => preconnected.once('connect', resolve));
      svc.child.kill('SIGTERM');
      const code = await Promise.race([svc.exited, sleep(5000).then(() => 'still running after 5 s')]);
      assert.equal(code, 0);
      preconnected.destroy();
    } finally {
      await svc.stop();
    }
  });

  it('refuses to start with a clear line naming a bad variable', async () => {
    const { spawnSync: run } = await import('node:child_process');
    const result = run(process.execPath, ['--conditions=source', '--import', 'tsx', 'services/inference/src/main.ts'], {
      cwd: new URL('../../../', import.meta.url),
      env: { ...process.env, INTERNAL_API_KEY: 'x'.repeat(40), WORKERS: 'many' },
      encoding: 'utf8',
      timeout: scaled(20_000),
    });
    assert.equal(result.status, 1);
    assert.equal(result.stderr.trim(), 'inference: configuration error: WORKERS: must be a whole number from 1 to 1024, got "many"');
  });
});
