/**
 * ENGINE=llama while a larger model loads (~111 MB, the benchmark's model): `/health` has a
 * `loading` state with the model and a percent, `/ready` says so, the console (inference's
 * own lines) shows llama.cpp's load callback in steps of 10 %, and once loaded the state is
 * gone and the load-time metric has its sample.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { writeTinyLlamaGguf } from './support/gguf-writer.js';
import { metricValue } from './support/in-process.js';
import { eventually, startInference, type RunningInference } from './support/service.js';
import { scaled } from '../../../test/support/timeouts.js';

interface Health {
  ready: boolean;
  current_model: string | null;
  loading: { model: string; percent: number } | null;
}

describe('ENGINE=llama: load progress of a larger model', { timeout: scaled(120_000) }, () => {
  let dir: string | undefined;
  let svc: RunningInference | undefined;
  after(async () => {
    await svc?.stop();
    if (dir) rmSync(dir, { recursive: true, force: true });
  });

  it('shows loading with a percent in /health and /ready, progress lines in the console, then the load-time metric', async () => {
    dir = mkdtempSync(join(tmpdir(), 'llama-loading-'));
    writeTinyLlamaGguf(join(dir, 'big.gguf'), { embd: 512, heads: 8, layers: 8, ff: 1536, contextLength: 2048, name: 'big' });
    svc = await startInference({ ENGINE: 'llama', MODELS_DIR: dir, WORKERS: '1', LLAMA_THREADS: '1' }, scaled(60_000));
    const url = svc.url;

    // Poll from the moment the service listens until the model is ready. The file is first
    // loaded in a child process (LLAMA_PROBE), during which the state is already `loading`.
    const seen: Health[] = [];
    const readyDetails: string[] = [];
    await eventually(
      async () => {
        const health = (await (await fetch(`${url}/health`)).json()) as Health;
        seen.push(health);
        if (health.loading) {
          const ready = await fetch(`${url}/ready`);
          if (ready.status === 503) readyDetails.push(((await ready.json()) as { checks: Array<{ detail: string }> }).checks[0]?.detail ?? '');
        }
        return health.ready;
      },
      60_000,
    );
    const loading = seen.filter((h) => h.loading !== null);
    assert.ok(loading.length >= 1, 'the loading state was seen');
    for (const h of loading) {
      assert.equal(h.ready, false);
      assert.equal(h.current_model, null);
      assert.equal(h.loading?.model, 'big');
      assert.ok(Number.isInteger(h.loading?.percent) && (h.loading?.percent ?? -1) >= 0 && (h.loading?.percent ?? 101) <= 100, JSON.stringify(h));
    }
    const percents = loading.map((h) => h.loading?.percent ?? 0);
    assert.deepEqual(percents, [...percents].sort((a, b) => a - b), `the percent never goes back: ${percents.join(', ')}`);
    assert.ok(readyDetails.some((d) => /^loading model big \(\d{1,3}%\)$/.test(d)), `readiness: ${readyDetails.join(' | ')}`);
    assert.deepEqual(seen.at(-1), { ...seen.at(-1), ready: true, current_model: 'big', loading: null });

    // The console: llama.cpp's own progress callback, every 10 %, up to 100.
    const steps = await eventually(() => {
      const s = svc?.lines.filter((l) => l.message === 'model_load_progress' && l.model_tag === 'big').map((l) => l.percent as number) ?? [];
      return s.at(-1) === 100 && s;
    });
    assert.deepEqual(steps, [...new Set(steps)].sort((a, b) => a - b), `steps: ${steps.join(', ')}`);
    assert.ok(steps.length >= 2, `steps: ${steps.join(', ')}`);
    assert.ok(steps.every((p) => p % 10 === 0));

    // The load-time metric has its one sample, as long as the load took.
    const metrics = await (await fetch(`${url}/metrics`)).text();
    assert.equal(metricValue(metrics, 'inference_model_load_duration_seconds_count{model="big",service="inference"}'), 1);
    const seconds = metricValue(metrics, 'inference_model_load_duration_seconds_sum{model="big",service="inference"}') ?? 0;
    const loaded = await eventually(() => svc?.lines.find((l) => l.message === 'model_loaded' && l.model_tag === 'big'));
    assert.ok(seconds > 0);
    assert.equal(Math.round(seconds * 1000), loaded.load_ms);
  });
});
