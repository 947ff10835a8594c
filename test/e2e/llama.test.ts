/**
 * ENGINE=llama end to end through the whole platform, the way a user runs it: `samosachaat
 * start` with MODELS_DIR holding a GGUF this test writes itself (a small llama model with random
 * weights, services/inference/test/support/gguf-writer.ts). Checks the console (engine line,
 * load progress), a chat through chat-api whose stored `token_count` is the engine's own
 * completion count, the same count in inference's metrics and in the spans of both services
 * (GenAI attributes), parallel sequences through chat-api, and Stop: inference's active
 * generations drop to 0 within CANCEL_BOUND_MS.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTinyLlamaGguf } from '../../services/inference/test/support/gguf-writer.js';
import { readSse, startPlatform, type Platform, type SseEvent } from '../support/platform.js';
import { scaled } from '../support/timeouts.js';

/** How long a Stop may take to free inference's sequence (the "configured bound"). */
const CANCEL_BOUND_MS = scaled(5000);

const MODEL = 'chai-small';
const json = { 'content-type': 'application/json' };

interface Span {
  name: string;
  attributes: Record<string, unknown>;
}

interface StoredMessage {
  id: string;
  role: string;
  content: string;
  token_count: number | null;
  model_tag: string | null;
  status: string;
}

function metricValue(body: string, series: string): number | undefined {
  const line = body.split('\n').find((l) => l.startsWith(`${series} `));
  return line === undefined ? undefined : Number(line.slice(series.length + 1));
}

async function eventually<T>(probe: () => Promise<T | undefined | false> | T | undefined | false, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + scaled(timeoutMs);
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 25));
  }
}

describe('ENGINE=llama through the whole platform (npm start with a GGUF in MODELS_DIR)', { timeout: scaled(240_000) }, () => {
  let p: Platform;
  let modelsDir: string;
  const auth = () => ({ authorization: `Bearer ${p.token}` });

  const newConversation = async (): Promise<string> => {
    const res = await fetch(`${p.urls.chat}/api/conversations`, { method: 'POST', headers: { ...json, ...auth() }, body: '{}' });
    assert.equal(res.status, 201, await res.clone().text());
    return ((await res.json()) as { id: string }).id;
  };
  const send = (id: string, body: Record<string, unknown>, signal?: AbortSignal) =>
    fetch(`${p.urls.chat}/api/conversations/${id}/messages`, { method: 'POST', headers: { ...json, ...auth() }, body: JSON.stringify(body), signal });
  const answerOf = async (id: string): Promise<StoredMessage | undefined> => {
    const res = await fetch(`${p.urls.chat}/api/conversations/${id}`, { headers: auth() });
    const messages = ((await res.json()) as { messages: StoredMessage[] }).messages;
    return messages.filter((m) => m.role === 'assistant').at(-1);
  };
  const inferenceStats = async () => (await (await fetch(`${p.urls.inference}/stats`)).json()) as { active_generations: number; workers: { busy: number; total: number } };
  const inferenceMetrics = async () => (await fetch(`${p.urls.inference}/metrics`)).text();
  const spansOf = async (url: string, traceId: string): Promise<Span[]> =>
    eventually(async () => {
      const res = await fetch(`${url}/debug/traces/${traceId}`);
      return res.status === 200 ? ((await res.json()) as { spans: Span[] }).spans : undefined;
    }, `trace ${traceId} in ${url}`);

  before(async () => {
    modelsDir = mkdtempSync(join(tmpdir(), 'llama-e2e-models-'));
    // ~15 MB: slow enough (about 1-2 ms a token on one thread) that a long answer is still
    // running when the test stops it, small enough to write and load in well under a second.
    writeTinyLlamaGguf(join(modelsDir, `${MODEL}.gguf`), { embd: 256, heads: 8, layers: 4, ff: 768, contextLength: 4096, seed: 3, name: MODEL });
    p = await startPlatform({ MODELS_DIR: modelsDir, LLAMA_THREADS: '1', WORKERS: '2', MAX_TOKENS_LIMIT: '8192' });
  });
  after(async () => {
    await p?.stop();
    if (modelsDir) rmSync(modelsDir, { recursive: true, force: true });
  });

  it('says which model it serves and shows the load advancing in the console', async () => {
    const out = p.output();
    assert.match(out, new RegExp(`samosachaat: inference engine llama, model ${MODEL}\\.gguf \\(${modelsDir.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')}\\)`));
    // While inference loads (its child-process probe of the file first, then llama.cpp's own
    // load), the launcher prints the percent /health reports.
    assert.match(out, new RegExp(`samosachaat: loading model ${MODEL}: \\d{1,3}%`));
    // inference's own lines: llama.cpp's load callback in steps of 10 %, up to 100.
    const steps = p
      .logLines()
      .filter((l) => l['message'] === 'model_load_progress' && l['model_tag'] === MODEL)
      .map((l) => l['percent']);
    assert.equal(steps.at(-1), 100, `progress lines: ${JSON.stringify(steps)}`);
    assert.deepEqual(steps, [...steps].sort((a, b) => Number(a) - Number(b)), 'the percent never goes back');
    const health = (await (await fetch(`${p.urls.inference}/health`)).json()) as { ready: boolean; loading: unknown; current_model: string };
    assert.deepEqual([health.ready, health.loading, health.current_model], [true, null, MODEL]);
    const metrics = await inferenceMetrics();
    assert.equal(metricValue(metrics, `inference_model_load_duration_seconds_count{model="${MODEL}",service="inference"}`), 1);
    assert.ok((metricValue(metrics, `inference_model_load_duration_seconds_sum{model="${MODEL}",service="inference"}`) ?? 0) > 0);
  });

  it("a send streams the model's tokens; the stored token_count is the engine's count, also in metrics and spans", async () => {
    const id = await newConversation();
    const before = await inferenceMetrics();
    const generatedBefore = metricValue(before, `inference_generated_tokens_total{model="${MODEL}",service="inference"}`) ?? 0;
    const promptBefore = metricValue(before, `inference_prompt_tokens_total{model="${MODEL}",service="inference"}`) ?? 0;

    const res = await send(id, { content: 'How long should chai simmer?', temperature: 0, max_tokens: 24 });
    assert.equal(res.status, 200, await res.clone().text());
    const traceId = res.headers.get('x-trace-id') as string;
    assert.match(traceId, /^[0-9a-f]{32}$/);
    const events = await readSse(res);
    const tokens = events.filter((e) => typeof e.data['token'] === 'string');
    assert.ok(tokens.length >= 1, JSON.stringify(events.map((e) => e.data)));
    const done = events.at(-1)?.data;
    assert.equal(done?.['done'], true);
    assert.equal(typeof done?.['message_id'], 'string');
    // chat-api sends its own done: inference's usage is not forwarded to the browser.
    assert.equal(done?.['usage'], undefined);

    // What inference counted for this generation (its log line, same trace).
    const line = await eventually(() => p.logLines().find((l) => l['message'] === 'generation_completed' && l['service'] === 'inference' && l['trace_id'] === traceId), 'inference generation_completed');
    assert.equal(line['engine'], 'llama');
    assert.equal(line['outcome'], 'completed');
    const completion = Number(line['completion_tokens']);
    const prompt = Number(line['prompt_tokens']);
    assert.ok(completion >= 1 && completion <= 24, `completion tokens ${completion}`);
    assert.ok(completion >= tokens.length, 'a token frame holds one or more model tokens');

    // Stored: the engine's count, not the number of frames (a frame can hold several tokens).
    const stored = await eventually(async () => {
      const m = await answerOf(id);
      return m?.status === 'complete' ? m : undefined;
    }, 'the stored answer');
    assert.equal(stored.token_count, completion);
    assert.equal(stored.model_tag, MODEL);
    assert.equal(stored.content, tokens.map((e) => e.data['token']).join(''));

    // The counters moved by exactly this generation.
    const afterMetrics = await inferenceMetrics();
    assert.equal((metricValue(afterMetrics, `inference_generated_tokens_total{model="${MODEL}",service="inference"}`) ?? 0) - generatedBefore, completion);
    assert.equal((metricValue(afterMetrics, `inference_prompt_tokens_total{model="${MODEL}",service="inference"}`) ?? 0) - promptBefore, prompt);

    // inference's generation span: GenAI semantic-convention attributes with the real counts.
    const inferenceSpan = (await spansOf(p.urls.inference, traceId)).find((s) => s.name === `chat ${MODEL}`);
    assert.ok(inferenceSpan, 'inference has a generation span for the trace');
    assert.equal(inferenceSpan.attributes['gen_ai.provider.name'], 'llama');
    assert.equal(inferenceSpan.attributes['gen_ai.request.model'], MODEL);
    assert.equal(inferenceSpan.attributes['gen_ai.usage.input_tokens'], prompt);
    assert.equal(inferenceSpan.attributes['gen_ai.usage.output_tokens'], completion);
    assert.equal(inferenceSpan.attributes['gen_ai.request.temperature'], 0);
    // chat-api's span of the same call reports the output tokens inference reported.
    const chatSpan = await eventually(async () => (await spansOf(p.urls.chat, traceId)).find((s) => s.attributes['gen_ai.usage.output_tokens'] !== undefined), "chat-api's generation span");
    assert.equal(chatSpan.attributes['gen_ai.usage.output_tokens'], completion);
    assert.equal(chatSpan.attributes['gen_ai.response.model'], MODEL);
  });

  it('two sends decode in parallel sequences; Stop frees them and active generations drop to 0 within the bound', async () => {
    const ids = [await newConversation(), await newConversation()];
    const long = { content: 'Tell me everything about samosa and chai.', temperature: 0.8, max_tokens: 8000 };
    const responses = await Promise.all(ids.map((id) => send(id, long)));
    for (const r of responses) assert.equal(r.status, 200);
    const answerIds = responses.map((r) => r.headers.get('x-answer-message-id') as string);
    // Each stream's events so far (readSse hands them over after every chunk).
    const seen: SseEvent[][] = responses.map(() => []);
    const streams: Array<Promise<SseEvent[]>> = responses.map((r, i) =>
      readSse(r, (events) => {
        seen[i] = events;
        return false;
      }),
    );

    // Both generations are running at once in inference, one sequence each.
    const busy = await eventually(async () => {
      const s = await inferenceStats();
      return s.active_generations === 2 && s;
    }, 'two active generations in inference');
    assert.deepEqual(busy.workers, { total: 2, busy: 2 });
    await eventually(() => seen.every((events) => events.some((e) => typeof e.data['token'] === 'string')), 'tokens on both streams');

    const stoppedAt = performance.now();
    for (const [i, id] of ids.entries()) {
      const stop = await fetch(`${p.urls.chat}/api/conversations/${id}/messages/${answerIds[i]}/stop`, { method: 'POST', headers: auth() });
      assert.equal(stop.status, 202, await stop.clone().text());
    }
    await eventually(async () => (await inferenceStats()).active_generations === 0, 'active generations back to 0', CANCEL_BOUND_MS);
    const freedMs = performance.now() - stoppedAt;
    assert.ok(freedMs < CANCEL_BOUND_MS, `freed after ${Math.round(freedMs)} ms`);
    const metrics = await inferenceMetrics();
    assert.equal(metricValue(metrics, 'inference_active_generations{service="inference"}'), 0);
    assert.equal(metricValue(metrics, 'inference_workers_busy{service="inference"}'), 0);

    for (const [i, events] of (await Promise.all(streams)).entries()) {
      assert.deepEqual(events.at(-1)?.data, { done: true, message_id: answerIds[i], stopped: true });
      const partial = events.filter((e) => typeof e.data['token'] === 'string').length;
      assert.ok(partial >= 1, 'some tokens arrived before the stop');
    }
    for (const id of ids) {
      const stored = await eventually(async () => {
        const m = await answerOf(id);
        return m?.status === 'stopped' ? m : undefined;
      }, 'the stopped answer');
      assert.ok((stored.token_count ?? 0) >= 1 && (stored.token_count ?? 0) < 8000, `token_count ${stored.token_count}`);
    }
    // Both were cut short in inference as a cancelled generation, not an error.
    // (Log lines come through the launcher's pipe: wait for them rather than race them.)
    await eventually(
      () => p.logLines().filter((l) => l['message'] === 'generation_completed' && l['service'] === 'inference' && l['outcome'] === 'client_disconnected').length >= 2,
      'two client_disconnected generation_completed lines from inference',
    );

    // The sequences are free again: the next send is served at once.
    const next = await send(ids[0] as string, { content: 'And cardamom?', temperature: 0, max_tokens: 4 });
    assert.equal(next.status, 200);
    assert.equal((await readSse(next)).at(-1)?.data['done'], true);
  });
});
