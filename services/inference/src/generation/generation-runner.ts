import type { GenerationSpan, Observability } from '@samosachaat/observability';
import { estimatePromptTokens, UpstreamError, type Engine, type FinishReason, type StreamSummary } from '../engines/engine.js';
import { INFERENCE_ERRORS, OverCapacityError } from '../errors.js';
import type { InferenceMetrics } from '../metrics.js';
import type { Lease, WorkerPool } from '../pool/worker-pool.js';
import type { GenerationStats, StatsOutcome } from '../stats/generation-stats.js';
import type { GenerationParams } from './generation-params.js';
import type { ModelManager } from './model-manager.js';

/** Where a generation's tokens go: an SSE response, an OpenAI stream, a buffer. */
export interface TokenSink {
  /** Called once the worker slot is held and the model checked, before any token. */
  open(model: string): void;
  /** Delivers one token; resolves when the transport can take more (backpressure). */
  write(token: string): Promise<void>;
  /** Delivers tool-call deltas unchanged (engines with tool support); a sink without it never asked for tools. */
  toolCalls?(deltas: unknown[]): Promise<void>;
}

/** How a generation ended. `error` is the message for the client when it failed. */
export interface GenerationResult {
  outcome: StatsOutcome;
  model: string;
  promptTokens: number;
  completionTokens: number;
  finishReason: FinishReason | undefined;
  error: string | undefined;
  /** The error's code (src/errors.ts) when it failed: what kind of failure, for the client to map to a status. */
  errorCode: string | undefined;
  /** Seconds to wait before retrying, when the failure says (an upstream's `Retry-After`). */
  retryAfter: number | undefined;
}

/** The client left while its request waited in the queue. */
export class ClientGoneError extends Error {
  constructor() {
    super('the client disconnected');
    this.name = 'ClientGoneError';
  }
}

type StopReason = 'client' | 'timeout' | 'shutdown';

/** What the runner needs. */
export interface RunnerDeps {
  engine: Engine;
  models: ModelManager;
  pool: WorkerPool;
  metrics: InferenceMetrics;
  stats: GenerationStats;
  obs: Observability;
  generationTimeoutMs: number;
  maxTokensLimit: number;
}

/**
 * Runs one generation end to end: a worker slot from the pool, the model check, the
 * engine stream with its timeout, and one span, one set of metrics and two log lines
 * (generation_started, generation_completed) per generation. Before `sink.open` it throws
 * (over capacity, model errors, client gone); after it, every failure becomes `result.error`.
 */
export class GenerationRunner {
  private readonly running = new Set<(reason: StopReason) => void>();
  private closing = false;
  private readonly log;
  private readonly rejections;

  constructor(private readonly deps: RunnerDeps) {
    this.log = deps.obs.getLogger('generation');
    this.rejections = deps.obs.rateLimited('generation');
  }

  /** Generations running now. */
  get activeCount(): number {
    return this.running.size;
  }

  /** Refuses new generations and stops the running ones with an error event (shutdown). */
  abortAll(): void {
    this.closing = true;
    for (const stop of this.running) stop('shutdown');
  }

  /** Refuses new generations from now on (shutdown has begun). */
  stopAccepting(): void {
    this.closing = true;
  }

  async run(params: GenerationParams, sink: TokenSink, clientSignal: AbortSignal): Promise<GenerationResult> {
    const { models, pool, metrics } = this.deps;
    if (this.closing) throw INFERENCE_ERRORS.INFERENCE_SHUTTING_DOWN();
    if (params.model !== undefined && params.model !== models.current) await models.assertKnown(params.model);
    let lease: Lease;
    try {
      lease = await pool.acquire(clientSignal);
    } catch (err) {
      if (err instanceof OverCapacityError) {
        metrics.rejected.inc({ reason: 'over_capacity' });
        const { workers, busy, queueDepth, queueLimit } = pool.snapshot;
        this.rejections.warning('generation_rejected', { reason: 'over_capacity', retry_after_s: err.retryAfterSeconds, workers, workers_busy: busy, queue_depth: queueDepth, queue_limit: queueLimit });
        throw err;
      }
      if (clientSignal.aborted) throw new ClientGoneError();
      throw err;
    }
    metrics.queueWait.observe(lease.queuedMs / 1000);
    const model = models.current;
    try {
      if (this.closing) throw INFERENCE_ERRORS.INFERENCE_SHUTTING_DOWN();
      if (clientSignal.aborted) throw new ClientGoneError();
      if (model === undefined) throw INFERENCE_ERRORS.INFERENCE_NO_MODEL('no model is loaded; check the inference logs for model_load_failed');
      if (params.model !== undefined && params.model !== model) {
        throw INFERENCE_ERRORS.INFERENCE_MODEL_NOT_LOADED(`model "${params.model}" is not loaded (current: "${model}"); swap to it first with POST /models/swap`);
      }
      sink.open(model);
    } catch (err) {
      lease.release();
      throw err;
    }
    try {
      return await this.generate(model, params, sink, clientSignal, lease.queuedMs);
    } finally {
      lease.release();
    }
  }

  private async generate(model: string, params: GenerationParams, sink: TokenSink, clientSignal: AbortSignal, queuedMs: number): Promise<GenerationResult> {
    const { engine, metrics, stats, obs } = this.deps;
    const estimatedPrompt = estimatePromptTokens(params.messages);
    const maxTokens = params.maxTokens ?? this.deps.maxTokensLimit;
    const gen = obs.startGeneration({
      model,
      provider: engine.id,
      inputTokens: estimatedPrompt,
      temperature: params.temperature,
      maxTokens,
      topK: params.topK,
      kind: engine.id === 'openai' ? 2 /* SpanKind.CLIENT: the engine is another process */ : undefined,
    });
    gen.span.setAttribute('samosachaat.queue_wait_ms', Math.round(queuedMs));
    const controller = new AbortController();
    let stopReason: StopReason | undefined;
    const stop = (reason: StopReason) => {
      stopReason ??= reason;
      controller.abort(new Error(`generation stopped: ${reason}`));
    };
    const onClientGone = () => stop('client');
    clientSignal.addEventListener('abort', onClientGone, { once: true });
    const timer = setTimeout(() => stop('timeout'), this.deps.generationTimeoutMs);
    this.running.add(stop);
    metrics.activeGenerations.inc();
    const startedAt = performance.now();
    // What the request asked for, never its text: the system prompt's length says one arrived.
    const systemPromptChars = params.messages.reduce((n, m) => (m.role === 'system' ? n + m.content.length : n), 0);
    gen.run(() =>
      this.log.info(
        { model, engine: engine.id, prompt_tokens: estimatedPrompt, max_tokens: maxTokens, temperature: params.temperature ?? null, system_prompt_chars: systemPromptChars, queue_wait_ms: Math.round(queuedMs) },
        'generation_started',
      ),
    );

    let streamed = 0;
    let summary: StreamSummary = {};
    let failure: unknown;
    try {
      await gen.run(async () => {
        const stream = engine.stream(
          {
            messages: params.messages,
            maxTokens,
            temperature: params.temperature,
            topK: params.topK,
            topP: params.topP,
            seed: params.seed,
            stop: params.stop,
            tools: params.tools,
            toolChoice: params.toolChoice,
            parallelToolCalls: params.parallelToolCalls,
            responseFormat: params.responseFormat,
          },
          controller.signal,
        );
        summary = stream.summary;
        let last = 0;
        let chunks = 0;
        for await (const { token, tokens = 1, toolCalls } of stream) {
          if (toolCalls) {
            // Counted in the engine's usage summary, not as streamed text.
            await sink.toolCalls?.(toolCalls);
            if (stopReason) throw new Error(`generation stopped: ${stopReason}`);
            continue;
          }
          const now = performance.now();
          // The frame goes out first; the span, metrics and stats below record the moment the
          // token arrived (`now`), not held back by the write nor holding it back.
          const written = sink.write(token);
          if (chunks === 0) metrics.timeToFirstToken.observe({ model }, (now - startedAt) / 1000);
          else metrics.interTokenLatency.observe({ model }, (now - last) / 1000);
          last = now;
          chunks++;
          streamed += tokens;
          gen.tokens(tokens, now);
          metrics.generatedTokens.inc({ model }, tokens);
          stats.addTokens(tokens);
          await written;
          if (stopReason) throw new Error(`generation stopped: ${stopReason}`);
        }
      });
    } catch (err) {
      failure = err;
    } finally {
      clearTimeout(timer);
      clientSignal.removeEventListener('abort', onClientGone);
      this.running.delete(stop);
      metrics.activeGenerations.dec();
    }

    const outcome: StatsOutcome = failure === undefined ? 'completed' : stopReason === 'client' ? 'client_disconnected' : stopReason ?? 'upstream_error';
    const promptTokens = summary.promptTokens ?? estimatedPrompt;
    // The engine's own count wins when it reports one; never count fewer than were streamed.
    const completionTokens = Math.max(streamed, summary.completionTokens ?? 0);
    if (completionTokens > streamed) {
      metrics.generatedTokens.inc({ model }, completionTokens - streamed);
      stats.addTokens(completionTokens - streamed);
    }
    metrics.promptTokens.inc({ model }, promptTokens);
    const durationMs = performance.now() - startedAt;
    metrics.generationDuration.observe({ model, outcome }, durationMs / 1000);
    stats.finished(outcome);
    const clientMessage = this.clientMessage(outcome, failure);
    this.endSpan(gen, outcome, failure, clientMessage, { promptTokens, completionTokens, summary });

    const fields: Record<string, unknown> = {
      model,
      engine: engine.id,
      outcome,
      prompt_tokens: promptTokens,
      completion_tokens: completionTokens,
      ttft_ms: gen.timeToFirstTokenMs ?? null,
      duration_ms: Math.round(durationMs * 1000) / 1000,
      inference_time_ms: Math.round(durationMs),
      queue_wait_ms: Math.round(queuedMs),
      finish_reason: failure === undefined ? (summary.finishReason ?? 'stop') : null,
    };
    // An unexpected failure is a bug: log the cause with its stack, not the generic message.
    if (outcome === 'upstream_error' && !(failure instanceof UpstreamError)) fields.err = failure;
    else if (clientMessage) fields.error = clientMessage;
    gen.run(() => (outcome === 'completed' || outcome === 'client_disconnected' ? this.log.info(fields, 'generation_completed') : this.log.warning(fields, 'generation_completed')));

    const coded = failure instanceof UpstreamError ? failure : undefined;
    return {
      outcome,
      model,
      promptTokens,
      completionTokens,
      finishReason: failure === undefined ? (summary.finishReason ?? 'stop') : undefined,
      error: clientMessage,
      errorCode: clientMessage === undefined ? undefined : this.errorCode(outcome, coded),
      retryAfter: clientMessage === undefined ? undefined : coded?.retryAfter,
    };
  }

  /** The registry code of a failed generation (src/errors.ts). */
  private errorCode(outcome: StatsOutcome, failure: UpstreamError | undefined): string {
    if (outcome === 'timeout') return 'INFERENCE_GENERATION_TIMEOUT';
    if (outcome === 'shutdown') return 'INFERENCE_SHUTTING_DOWN';
    return failure?.code ?? 'INFERENCE_GENERATION_FAILED';
  }

  private clientMessage(outcome: StatsOutcome, failure: unknown): string | undefined {
    switch (outcome) {
      case 'completed':
      case 'client_disconnected':
        return undefined;
      case 'timeout':
        return `generation timed out after ${this.deps.generationTimeoutMs} ms`;
      case 'shutdown':
        return 'the inference service is shutting down; retry the request';
      default:
        // Engine and upstream failures are written for the client; anything else is a bug
        // whose details stay in the log.
        return failure instanceof UpstreamError ? failure.message : 'the engine failed unexpectedly; see the inference logs';
    }
  }

  private endSpan(gen: GenerationSpan, outcome: StatsOutcome, failure: unknown, message: string | undefined, usage: { promptTokens: number; completionTokens: number; summary: StreamSummary }): void {
    gen.span.setAttribute('samosachaat.generation.stop_reason', outcome);
    const base = { outputTokens: usage.completionTokens, inputTokens: usage.promptTokens, responseModel: usage.summary.responseModel };
    if (outcome === 'completed') gen.end({ ...base, outcome: 'completed', finishReason: usage.summary.finishReason ?? 'stop' });
    else if (outcome === 'client_disconnected') gen.end({ ...base, outcome: 'client_disconnected' });
    else {
      const error = failure instanceof Error ? failure : new Error(String(failure));
      const shown = new Error(message ?? error.message);
      shown.name = outcome === 'timeout' ? 'GenerationTimeoutError' : outcome === 'shutdown' ? 'ServiceShutdownError' : error.name;
      gen.end({ ...base, outcome: 'upstream_error', error: shown });
    }
  }
}
