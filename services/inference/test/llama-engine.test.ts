/**
 * ENGINE=llama end to end on a real process: llama.cpp (node-llama-cpp's CPU build) serving
 * GGUF files this test writes itself (see support/gguf-writer.ts): listing with GGUF
 * metadata, deterministic generation at temperature 0, real token counts in the OpenAI usage
 * and the metrics, parallel sequences, cancel, swap, and the files that must be refused (not
 * a GGUF, a file that makes llama.cpp abort, a file too large for memory, a link out of the
 * folder, a path).
 */
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, openSync, closeSync, ftruncateSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { totalmem, tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { writeTinyLlamaGguf } from './support/gguf-writer.js';
import { assertDone, metricValue } from './support/in-process.js';
import { eventually, startInference, waitReady, type RunningInference } from './support/service.js';
import { postJson, SseReader } from './support/sse-client.js';
import { scaled } from '../../../test/support/timeouts.js';

const MESSAGES = [
  { role: 'system', content: 'You are a kitchen helper.' },
  { role: 'user', content: 'How long should chai simmer?' },
];

interface ModelsAnswer {
  current_model: string | null;
  models: Array<{ id: string; engine: string; loaded: boolean; details?: { file: string; size_bytes: number; quantisation: string | null; context_length: number | null; architecture: string | null } }>;
}

describe('ENGINE=llama on generated GGUF files', { timeout: scaled(240_000) }, () => {
  let dir: string;
  let models: string;
  let svc: RunningInference;
  let headers: Record<string, string>;

  before(async () => {
    dir = mkdtempSync(join(tmpdir(), 'llama-engine-'));
    models = join(dir, 'models');
    mkdirSync(models);
    writeTinyLlamaGguf(join(models, 'tiny-a.gguf'), { seed: 1, contextLength: 1024 });
    writeTinyLlamaGguf(join(models, 'tiny-b.gguf'), { seed: 2, contextLength: 512, name: 'tiny-b' });
    // Without llama.feed_forward_length llama.cpp hits a GGML_ASSERT and aborts the process.
    writeTinyLlamaGguf(join(models, 'aborts.gguf'), { omitKeys: ['llama.feed_forward_length'] });
    writeFileSync(join(models, 'notes.gguf'), 'these are my notes, not a model\n');
    // A sparse file twice the machine's memory: its size says "too large" before any byte is read.
    writeTinyLlamaGguf(join(models, 'huge.gguf'));
    const fd = openSync(join(models, 'huge.gguf'), 'r+');
    ftruncateSync(fd, totalmem() * 2);
    closeSync(fd);
    // A link out of the folder.
    writeTinyLlamaGguf(join(dir, 'outside.gguf'));
    symlinkSync(join(dir, 'outside.gguf'), join(models, 'escape.gguf'));

    svc = await startInference({ ENGINE: 'llama', MODELS_DIR: models, LLAMA_MODEL: 'tiny-a', WORKERS: '2', QUEUE_LIMIT: '4', LLAMA_THREADS: '1', OPENAI_COMPAT_API: 'true' }, scaled(60_000));
    headers = { 'x-internal-api-key': svc.key, authorization: `Bearer ${svc.key}` };
    await waitReady(svc.url, 60_000);
  });
  after(async () => {
    await svc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('lists the GGUF files of MODELS_DIR with size, quantisation and context length; no link out of it', async () => {
    const answer = (await (await fetch(`${svc.url}/models`)).json()) as ModelsAnswer;
    assert.equal(answer.current_model, 'tiny-a');
    const ids = answer.models.map((m) => m.id);
    assert.deepEqual(ids, ['aborts', 'huge', 'notes', 'tiny-a', 'tiny-b']);
    const a = answer.models.find((m) => m.id === 'tiny-a');
    assert.equal(a?.loaded, true);
    assert.equal(a?.engine, 'llama');
    assert.equal(a?.details?.file, 'tiny-a.gguf');
    assert.equal(a?.details?.quantisation, 'F32');
    assert.equal(a?.details?.context_length, 1024);
    assert.equal(a?.details?.architecture, 'llama');
    assert.ok((a?.details?.size_bytes ?? 0) > 100_000);
    const notes = answer.models.find((m) => m.id === 'notes');
    assert.equal(notes?.details?.quantisation, null);
    const health = (await (await fetch(`${svc.url}/health`)).json()) as { ready: boolean; loading: unknown; current_model: string };
    assert.deepEqual([health.ready, health.loading, health.current_model], [true, null, 'tiny-a']);
    // Log lines arrive through a pipe: wait for them rather than race them.
    const ready = await eventually(() => svc.lines.find((l) => l.message === 'llama_model_ready'));
    assert.deepEqual([ready?.model_tag, ready?.threads, ready?.sequences, ready?.context_size], ['tiny-a', 1, 2, 1024]);
  });

  it('answers deterministically at temperature 0 with real token counts in usage and metrics', async () => {
    const body = { model: 'tiny-a', messages: MESSAGES, max_tokens: 12, temperature: 0 };
    const first = await postJson(`${svc.url}/v1/chat/completions`, body, headers);
    assert.equal(first.status, 200);
    const a = (await first.json()) as { choices: Array<{ message: { content: string }; finish_reason: string }>; usage: { prompt_tokens: number; completion_tokens: number } };
    const b = (await (await postJson(`${svc.url}/v1/chat/completions`, body, headers)).json()) as typeof a;
    assert.equal(a.choices[0]?.message.content, b.choices[0]?.message.content);
    assert.equal(a.usage.completion_tokens, 12);
    assert.equal(a.choices[0]?.finish_reason, 'length');
    // The prompt as the embedded chat template renders it, tokenized by the model: not the
    // four-characters-per-token estimate (which would be 24 for these messages).
    assert.ok(a.usage.prompt_tokens > 20 && a.usage.prompt_tokens !== 24, `prompt tokens ${a.usage.prompt_tokens}`);
    const metrics = await (await fetch(`${svc.url}/metrics`)).text();
    assert.ok((metricValue(metrics, 'inference_prompt_tokens_total{model="tiny-a",service="inference"}') ?? 0) >= 2 * a.usage.prompt_tokens);
    assert.ok((metricValue(metrics, 'inference_generated_tokens_total{model="tiny-a",service="inference"}') ?? 0) >= 24);
    assert.ok((metricValue(metrics, 'inference_model_load_duration_seconds_count{model="tiny-a",service="inference"}') ?? 0) >= 1);
    await eventually(() => svc.lines.some((l) => l.message === 'generation_completed' && l.engine === 'llama' && l.prompt_tokens === a.usage.prompt_tokens && l.completion_tokens === 12));

    // Another seed at temperature 1 samples differently from greedy decoding; a stop string ends early.
    const sampled = (await (await postJson(`${svc.url}/v1/chat/completions`, { ...body, temperature: 1, top_p: 0.9, top_k: 50, seed: 7 }, headers)).json()) as typeof a;
    assert.equal(sampled.usage.completion_tokens, 12);
    const text = a.choices[0]?.message.content ?? '';
    const stopAt = text.slice(Math.floor(text.length / 2)).trim().slice(0, 2);
    if (stopAt.length > 0) {
      const stopped = (await (await postJson(`${svc.url}/v1/chat/completions`, { ...body, stop: [stopAt] }, headers)).json()) as typeof a;
      assert.equal(stopped.choices[0]?.finish_reason, 'stop');
      assert.ok(!(stopped.choices[0]?.message.content ?? '').includes(stopAt));
      assert.ok(stopped.usage.completion_tokens < 12);
    }
  });

  it('runs WORKERS generations in parallel sequences, and a cancel frees its sequence at once', async () => {
    const long = { messages: MESSAGES, max_tokens: 4000, temperature: 0 };
    const controllers = [new AbortController(), new AbortController()];
    const readers = await Promise.all(controllers.map(async (c) => new SseReader(await postJson(`${svc.url}/generate`, long, headers, c.signal))));
    await Promise.all(readers.map((r) => r.waitFor(3)));
    const stats = (await (await fetch(`${svc.url}/stats`)).json()) as { active_generations: number; workers: { busy: number } };
    assert.equal(stats.active_generations, 2);
    assert.equal(stats.workers.busy, 2);
    // Both sequences are busy: a third generation waits in the queue, then runs once one is cancelled.
    const third = postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: 5, temperature: 0 }, headers);
    await eventually(async () => ((await (await fetch(`${svc.url}/stats`)).json()) as { queue: { depth: number } }).queue.depth === 1);
    const cancelledAt = performance.now();
    controllers[0]?.abort();
    const thirdEvents = await new SseReader(await third).readAll();
    assert.ok(thirdEvents.filter((e) => typeof (e.data as { token?: unknown }).token === 'string').length > 0, JSON.stringify(thirdEvents));
    assertDone(thirdEvents.at(-1)?.data, { model: 'tiny-a' });
    controllers[1]?.abort();
    await eventually(async () => ((await (await fetch(`${svc.url}/stats`)).json()) as { active_generations: number }).active_generations === 0, 5000);
    assert.ok(performance.now() - cancelledAt < scaled(10_000));
    await eventually(() => svc.lines.filter((l) => l.message === 'generation_completed' && l.outcome === 'client_disconnected').length === 2);
  });

  it('refuses a file that is not a GGUF, one that aborts llama.cpp, one too large, a link out and a path; keeps serving', async () => {
    const swap = async (model: string) => {
      const res = await postJson(`${svc.url}/models/swap`, { model }, headers);
      return { status: res.status, body: (await res.json()) as { error?: { code: string; message: string }; current_model?: string } };
    };
    const notGguf = await swap('notes');
    assert.equal(notGguf.status, 502);
    assert.match(notGguf.body.error?.message ?? '', /notes\.gguf cannot be loaded/);
    assert.match(notGguf.body.error?.message ?? '', /rolled back to "tiny-a"/);

    const aborts = await swap('aborts');
    assert.equal(aborts.status, 502);
    assert.match(aborts.body.error?.message ?? '', /aborts\.gguf cannot be loaded: llama\.cpp aborted \(SIGABRT\)/);

    const huge = await swap('huge');
    assert.equal(huge.status, 502);
    assert.match(huge.body.error?.message ?? '', /huge\.gguf needs about [\d.]+ GiB of memory and only [\d.]+ GiB is available/);

    for (const model of ['escape', '../outside', '/etc/passwd']) {
      const refused = await swap(model);
      assert.equal(refused.status, 404, model);
      assert.equal(refused.body.error?.code, 'INFERENCE_MODEL_NOT_FOUND');
    }

    // The service survived all of it and still answers on the model it had.
    const after = (await (await postJson(`${svc.url}/v1/chat/completions`, { messages: MESSAGES, max_tokens: 3, seed: 7 }, headers)).json()) as { model: string; usage: { completion_tokens: number } };
    assert.equal(after.model, 'tiny-a');
    assert.ok(after.usage.completion_tokens >= 1 && after.usage.completion_tokens <= 3);
    assert.equal(svc.child.exitCode, null);
  });

  it('swaps to another GGUF with the drain semantics and serves it', async () => {
    const inFlight = new SseReader(await postJson(`${svc.url}/generate`, { messages: MESSAGES, max_tokens: 40, temperature: 0 }, headers));
    await inFlight.waitFor(2);
    const swapped = postJson(`${svc.url}/models/swap`, { model: 'tiny-b' }, headers);
    const events = await inFlight.readAll();
    assertDone(events.at(-1)?.data, { model: 'tiny-a' });
    assert.ok(!events.some((e) => (e.data as { error?: unknown }).error !== undefined), 'the generation in flight finished');
    const res = await swapped;
    assert.equal(res.status, 202);
    assert.deepEqual(await res.json(), { current_model: 'tiny-b', previous_model: 'tiny-a' });
    // A fixed seed: random weights may sample the end-of-sequence token first (0 tokens, as one
    // CI run did); seeded sampling draws the same tokens on every run.
    const answer = (await (await postJson(`${svc.url}/v1/chat/completions`, { messages: MESSAGES, max_tokens: 4, seed: 7 }, headers)).json()) as { model: string; usage: { completion_tokens: number } };
    assert.equal(answer.model, 'tiny-b');
    // Never more than max_tokens.
    assert.ok(answer.usage.completion_tokens >= 1 && answer.usage.completion_tokens <= 4, `completion tokens ${answer.usage.completion_tokens}`);
    const list = (await (await fetch(`${svc.url}/models`)).json()) as ModelsAnswer;
    assert.equal(list.models.find((m) => m.id === 'tiny-b')?.details?.context_length, 512);
  });
});
