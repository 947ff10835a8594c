import type { Metrics } from '@samosachaat/observability';
import type { Counter, Gauge, Histogram } from 'prom-client';

/** Why a generation request was refused before it started. */
export type RejectionReason = 'over_capacity' | 'invalid';

/** The inference metric families (SPEC §4), created on the service's own registry. */
export interface InferenceMetrics {
  timeToFirstToken: Histogram<'model'>;
  generationDuration: Histogram<'model' | 'outcome'>;
  interTokenLatency: Histogram<'model'>;
  queueWait: Histogram<never>;
  promptTokens: Counter<'model'>;
  generatedTokens: Counter<'model'>;
  activeGenerations: Gauge<never>;
  queueDepth: Gauge<never>;
  workersTotal: Gauge<never>;
  workersBusy: Gauge<never>;
  modelLoaded: Gauge<'model'>;
  modelLoadDuration: Histogram<'model'>;
  rejected: Counter<'reason'>;
}

/**
 * Creates the inference metrics. Labels stay bounded: `model` is one of the engine's
 * models, `outcome` and `reason` are fixed sets. `docs/metrics.md` is generated from these.
 */
export function createInferenceMetrics(metrics: Metrics): InferenceMetrics {
  const m: InferenceMetrics = {
    timeToFirstToken: metrics.histogram({
      name: 'inference_time_to_first_token_seconds',
      help: 'Time from the start of a generation (worker slot held) to its first token, in seconds; queue wait excluded.',
      labelNames: ['model'],
      buckets: [0.025, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30, 60],
    }),
    generationDuration: metrics.histogram({
      name: 'inference_generation_duration_seconds',
      help: 'Whole duration of a generation in seconds, by outcome (completed, client_disconnected, upstream_error, timeout, shutdown).',
      labelNames: ['model', 'outcome'],
      buckets: [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600],
    }),
    interTokenLatency: metrics.histogram({
      name: 'inference_inter_token_latency_seconds',
      help: 'Time between two consecutive streamed tokens of a generation, in seconds.',
      labelNames: ['model'],
      buckets: [0.001, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5],
    }),
    queueWait: metrics.histogram({
      name: 'inference_queue_wait_seconds',
      help: 'Time a generation request waited in the queue for a worker slot, in seconds.',
      buckets: [0.001, 0.01, 0.05, 0.1, 0.5, 1, 5, 10, 30, 60, 300],
    }),
    promptTokens: metrics.counter({ name: 'inference_prompt_tokens_total', help: 'Prompt (input) tokens of finished generations, by model.', labelNames: ['model'] }),
    generatedTokens: metrics.counter({ name: 'inference_generated_tokens_total', help: 'Tokens generated and streamed, by model.', labelNames: ['model'] }),
    activeGenerations: metrics.gauge({ name: 'inference_active_generations', help: 'Generations running right now.' }),
    queueDepth: metrics.gauge({ name: 'inference_queue_depth', help: 'Generation requests waiting for a worker slot.' }),
    workersTotal: metrics.gauge({ name: 'inference_workers', help: 'Worker slots (WORKERS): generations that may run at once.' }),
    workersBusy: metrics.gauge({ name: 'inference_workers_busy', help: 'Worker slots held by a generation right now.' }),
    modelLoaded: metrics.gauge({ name: 'inference_model_loaded', help: '1 for the model that is loaded and serving, 0 for the other known models.', labelNames: ['model'] }),
    modelLoadDuration: metrics.histogram({
      name: 'inference_model_load_duration_seconds',
      help: 'Time to load a model (at start or during a swap), in seconds.',
      labelNames: ['model'],
      buckets: [0.01, 0.1, 0.5, 1, 5, 10, 30, 60, 120, 300, 600],
    }),
    rejected: metrics.counter({ name: 'inference_rejected_total', help: 'Generation requests refused before starting, by reason (over_capacity, invalid).', labelNames: ['reason'] }),
  };
  // Series that exist from the first scrape, so rate() and alerts see a zero, not nothing.
  m.rejected.inc({ reason: 'over_capacity' }, 0);
  m.rejected.inc({ reason: 'invalid' }, 0);
  m.activeGenerations.set(0);
  m.queueDepth.set(0);
  m.workersBusy.set(0);
  return m;
}
