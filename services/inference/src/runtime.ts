import type { Observability } from '@samosachaat/observability';
import type { InferenceConfig } from './config.js';
import { DemoEngine } from './engines/demo-engine.js';
import type { Engine } from './engines/engine.js';
import { LlamaEngine } from './engines/llama-engine.js';
import { OpenAiEngine } from './engines/openai-engine.js';
import { GenerationRunner } from './generation/generation-runner.js';
import { ModelManager } from './generation/model-manager.js';
import { createInferenceMetrics, type InferenceMetrics } from './metrics.js';
import { WorkerPool } from './pool/worker-pool.js';
import { GenerationStats } from './stats/generation-stats.js';

/** Everything behind the routes, built once per app. */
export interface InferenceRuntime {
  readonly config: InferenceConfig;
  readonly engine: Engine;
  readonly pool: WorkerPool;
  readonly models: ModelManager;
  readonly runner: GenerationRunner;
  readonly stats: GenerationStats;
  readonly metrics: InferenceMetrics;
  /** The model loaded at start; undefined: the engine's first model (llama without LLAMA_MODEL). */
  readonly initialModel: string | undefined;
}

/** The engine ENGINE selects. */
export function createEngine(config: InferenceConfig, obs: Observability): Engine {
  if (config.engine === 'openai' && config.openai) return new OpenAiEngine(config.openai, obs.getLogger('engine'));
  if (config.engine === 'llama' && config.llama) return new LlamaEngine(config.llama, config.workers, obs.getLogger('engine'));
  return new DemoEngine(config.demo);
}

/** Wires engine, pool, model manager, runner, stats and metrics together. */
export function createRuntime(config: InferenceConfig, obs: Observability, engine: Engine = createEngine(config, obs)): InferenceRuntime {
  const metrics = createInferenceMetrics(obs.metrics);
  metrics.workersTotal.set(config.workers);
  const pool = new WorkerPool({
    workers: config.workers,
    queueLimit: config.queueLimit,
    onChange: (s) => {
      metrics.workersBusy.set(s.busy);
      metrics.queueDepth.set(s.queueDepth);
    },
  });
  const models = new ModelManager(engine, pool, metrics, obs.getLogger('models'));
  const stats = new GenerationStats();
  const runner = new GenerationRunner({ engine, models, pool, metrics, stats, obs, generationTimeoutMs: config.generationTimeoutMs, maxTokensLimit: config.maxTokensLimit });
  const initialModel =
    config.engine === 'openai' && config.openai ? config.openai.model : config.engine === 'llama' && config.llama ? config.llama.model?.replace(/\.gguf$/i, '') : config.demo.model;
  return { config, engine, pool, models, runner, stats, metrics, initialModel };
}
