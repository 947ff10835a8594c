import type { Logger } from '@samosachaat/observability';
import type { Engine, ModelDetails } from '../engines/engine.js';
import { INFERENCE_ERRORS } from '../errors.js';
import type { InferenceMetrics } from '../metrics.js';
import type { WorkerPool } from '../pool/worker-pool.js';

/** One entry of `GET /models`. */
export interface ModelInfo {
  id: string;
  engine: string;
  loaded: boolean;
  /** From the model file, when the engine reads one (llama: size, quantisation, context length). */
  details?: ModelDetails;
}

/** The answer of a swap. */
export interface SwapResult {
  current_model: string;
  previous_model: string | null;
}

/**
 * Owns which model is loaded. Loading and swapping pause the worker pool (new generations
 * wait in its bounded queue), wait for in-flight generations to finish, then unload and
 * load; a failed load rolls back to the previous model. One swap at a time.
 */
export class ModelManager {
  private loadedModel: string | undefined;
  private busy: { from: string | undefined; to: string } | undefined;

  constructor(
    private readonly engine: Engine,
    private readonly pool: WorkerPool,
    private readonly metrics: InferenceMetrics,
    private readonly log: Logger,
  ) {
    // Nothing is served until the first model is loaded; early requests queue.
    pool.pause();
  }

  /** The model serving generations, or undefined while none is loaded. */
  get current(): string | undefined {
    return this.loadedModel;
  }

  /** Loaded and not swapping: what `/ready` and `/health` report. */
  get ready(): boolean {
    return this.loadedModel !== undefined && this.busy === undefined;
  }

  /** The readiness check: throws a reason while not ready. */
  readinessCheck(): string {
    const loading = this.loading;
    const percent = loading ? ` (${loading.percent}%)` : '';
    if (this.busy) throw new Error(this.busy.from ? `swapping model ${this.busy.from} → ${this.busy.to}${percent}` : `loading model ${this.busy.to}${percent}`);
    if (this.loadedModel === undefined) throw new Error('no model is loaded');
    return `${this.engine.id}:${this.loadedModel}`;
  }

  /** The model being loaded and its progress in percent, while the engine reports one. */
  get loading(): { model: string; percent: number } | undefined {
    const p = this.engine.loadProgress;
    return p ? { model: p.model, percent: Math.floor(p.progress * 100) } : undefined;
  }

  /** Every model the engine offers, with the loaded one marked. */
  async models(): Promise<ModelInfo[]> {
    const list = await this.engine.listModels();
    for (const m of list) this.metrics.modelLoaded.set({ model: m.id }, m.id === this.loadedModel ? 1 : 0);
    return list.map((m) => ({ id: m.id, engine: this.engine.id, loaded: m.id === this.loadedModel, ...(m.details ? { details: m.details } : {}) }));
  }

  /** Throws 404 naming the available models when `model` is not one of them. */
  async assertKnown(model: string): Promise<void> {
    const ids = (await this.engine.listModels()).map((m) => m.id);
    if (!ids.includes(model)) throw INFERENCE_ERRORS.INFERENCE_MODEL_NOT_FOUND(`unknown model "${model}"; available models: ${ids.join(', ')}`);
  }

  /**
   * Loads the start-up model (undefined: the engine's first model), then opens the pool. A
   * failure is logged and leaves no model.
   */
  async loadInitial(wanted: string | undefined): Promise<void> {
    let model = wanted ?? '';
    this.busy = { from: undefined, to: model };
    try {
      if (wanted === undefined) {
        const first = (await this.engine.listModels())[0];
        if (first === undefined) throw new Error(`the ${this.engine.id} engine has no model to load`);
        model = first.id;
        this.busy = { from: undefined, to: model };
      }
      await this.loadTimed(model);
      // Publish inference_model_loaded for every known model (0 for the others).
      await this.models().catch(() => undefined);
    } catch (err) {
      this.log.error({ err, model_tag: model }, 'model_load_failed');
    } finally {
      this.busy = undefined;
      this.pool.resume();
    }
  }

  /** Drains, unloads, loads `target` (rolling back on failure); 409 if a swap is running. */
  async swap(target: string): Promise<SwapResult> {
    if (this.busy) throw INFERENCE_ERRORS.INFERENCE_SWAP_IN_PROGRESS(`a model swap is already in progress (${this.busy.from ?? 'none'} → ${this.busy.to}); retry when it finishes`);
    const previous = this.loadedModel;
    this.busy = { from: previous, to: target };
    try {
      await this.assertKnown(target);
      if (target === previous) {
        this.log.info({ model_tag: target }, 'model_swap_skipped');
        return { current_model: target, previous_model: previous };
      }
      this.pool.pause();
      const drainStart = performance.now();
      this.log.info({ from_model: previous ?? null, model_tag: target, in_flight: this.pool.snapshot.busy }, 'model_swap_started');
      await this.pool.whenIdle();
      const drainMs = Math.round(performance.now() - drainStart);
      await this.unloadCurrent();
      try {
        await this.loadTimed(target);
      } catch (err) {
        this.log.error({ err, model_tag: target }, 'model_load_failed');
        const rolledBack = previous !== undefined && (await this.loadTimed(previous).then(() => true, () => false));
        throw INFERENCE_ERRORS.INFERENCE_MODEL_LOAD_FAILED(
          `loading model "${target}" failed: ${(err as Error).message}; ${rolledBack ? `rolled back to "${previous}"` : 'no model is loaded now'}`,
        );
      }
      this.log.info({ from_model: previous ?? null, model_tag: target, drain_ms: drainMs }, 'model_swap_completed');
      return { current_model: target, previous_model: previous ?? null };
    } finally {
      this.busy = undefined;
      this.pool.resume();
    }
  }

  /** Unloads the model at shutdown. */
  async close(): Promise<void> {
    await this.unloadCurrent();
  }

  private async unloadCurrent(): Promise<void> {
    const model = this.loadedModel;
    if (model === undefined) return;
    this.loadedModel = undefined;
    this.metrics.modelLoaded.set({ model }, 0);
    await this.engine.unload();
    this.log.info({ model_tag: model }, 'model_unloaded');
  }

  private async loadTimed(model: string): Promise<void> {
    const started = performance.now();
    await this.engine.load(model);
    const seconds = (performance.now() - started) / 1000;
    this.loadedModel = model;
    this.metrics.modelLoadDuration.observe({ model }, seconds);
    this.metrics.modelLoaded.set({ model }, 1);
    this.log.info({ model_tag: model, engine: this.engine.id, load_ms: Math.round(seconds * 1000) }, 'model_loaded');
  }
}
