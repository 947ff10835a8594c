import type { Readable } from 'node:stream';
import { traceHeaders } from '@samosachaat/observability';
import type { ChatMetrics } from '../metrics.js';
import { recordAnswer, recordRefusedSend, type AnswerRecorder } from '../messages/answer-outcomes.js';
import { startGeneration, type GenerateParams, type InferenceClientOptions } from '../messages/inference-client.js';
import type { StreamSlots } from '../messages/stream-slots.js';
import type { ApiCaller } from './api-key-guard.js';
import { generationEvents, type GenerationEvent } from './generation-events.js';
import { OpenAiError } from './openai-errors.js';
import type { UsageRecorder } from './usage-recorder.js';

/** What one answer of the OpenAI-compatible API needs. */
export interface ApiAnswerDeps {
  metrics: ChatMetrics;
  /** The per-user stream cap shared with the chat UI and the other replicas. */
  slots: StreamSlots;
  inference: InferenceClientOptions;
  usage: UsageRecorder;
  /** Registers a running answer so shutdown can wait for its usage to be recorded. */
  track<T>(work: Promise<T>): Promise<T>;
}

const RETRY_AFTER_SECONDS = 5;
// `messages[2].content has …`, `top_p must …`: the field an inference 400 names first.
const LEADING_FIELD = /^([a-z_]+(?:\[\d+\])?(?:\.[a-z_]+(?:\[\d+\])?)*)\b/;

function rejected(status: number, detail: string): OpenAiError {
  const message = detail || `inference rejected the request (HTTP ${status})`;
  const param = LEADING_FIELD.exec(message)?.[1] ?? null;
  if (status === 404) return new OpenAiError(404, 'model_not_found', message, 'model');
  return new OpenAiError(400, /is not supported/.test(message) ? 'unsupported_parameter' : 'invalid_value', message, param);
}

/** How an answer ended, for the SLI and the usage. */
export interface AnswerTotals {
  promptTokens: number;
  completionTokens: number;
  finishReason: string;
  model: string | undefined;
}

/**
 * One answer of `/v1`: a stream slot of the user (the cap shared with the chat UI), the
 * generation on inference, the answer SLI with surface `api` (docs/slos.md) and the key's
 * usage once it ends. Errors before the stream are OpenAI-shaped and thrown.
 */
export class ApiAnswer {
  private ended = false;
  private gone = false;
  private reading = false;
  private readonly totals: AnswerTotals = { promptTokens: 0, completionTokens: 0, finishReason: 'stop', model: undefined };
  private settle!: () => void;
  private readonly settled = new Promise<void>((resolve) => (this.settle = resolve));

  private constructor(
    private readonly deps: ApiAnswerDeps,
    private readonly caller: ApiCaller,
    private readonly release: () => void,
    private readonly sli: AnswerRecorder,
    private readonly events: AsyncGenerator<GenerationEvent>,
    private readonly body: Readable,
  ) {
    void deps.track(this.settled);
  }

  /**
   * Takes a stream slot (the user's cap over every replica: 429 rate_limit_exceeded with
   * Retry-After when full) and starts the generation; throws an OpenAiError when it cannot.
   */
  static async start(deps: ApiAnswerDeps, caller: ApiCaller, params: GenerateParams): Promise<ApiAnswer> {
    const startedAt = performance.now();
    // This replica's own count refuses at once; else one grouped insert takes the shared slot.
    const pending = deps.slots.tryAcquire(caller.user.id);
    const slot = pending && (await pending);
    const release = slot && (() => slot.release());
    if (!release) {
      throw new OpenAiError(429, 'rate_limit_exceeded', 'too many answers streaming at once for this user (MAX_STREAMS_PER_USER); wait for one to finish', null, { retryAfterSeconds: RETRY_AFTER_SECONDS });
    }
    let started;
    try {
      started = await startGeneration(deps.inference, { ...params, include_usage: true }, traceHeaders());
    } catch (err) {
      release();
      throw err;
    }
    if (!started.ok) {
      release();
      const status = started.status;
      if (status !== undefined && status >= 400 && status < 500 && status !== 429) throw rejected(status, started.detail ?? '');
      deps.metrics.upstreamErrors.inc({ upstream: 'inference', reason: started.reason });
      const over = started.reason === 'over_capacity';
      const code = over ? 'INFERENCE_OVER_CAPACITY' : 'INFERENCE_UNAVAILABLE';
      recordRefusedSend(deps.metrics, 'api', code);
      throw new OpenAiError(over ? 503 : 502, over ? 'server_overloaded' : 'upstream_unavailable', over ? 'inference is over capacity; retry shortly' : `${started.message}; retry shortly`, null, {
        retryAfterSeconds: started.retryAfterSeconds ?? RETRY_AFTER_SECONDS,
      });
    }
    return new ApiAnswer(deps, caller, release, recordAnswer(deps.metrics, 'api', startedAt), generationEvents(started.body), started.body);
  }

  /**
   * The client left before the answer ended: stops inference at once (its stream is closed,
   * so a silent or slow generation does not hold the user's slot) and counts the answer as
   * stopped by the client.
   */
  abandon(): void {
    if (this.ended || this.gone) return;
    this.gone = true;
    this.body.on('error', () => undefined);
    this.body.destroy();
    // Never read (the client left before the answer was sent): nothing else will end it.
    if (!this.reading) this.end('stopped', 'client_gone', true);
  }

  /** The generation's events; `done` carries the usage. Ending early stops inference. */
  async *read(): AsyncGenerator<GenerationEvent> {
    if (this.ended) return;
    this.reading = true;
    let sawOutput = false;
    let error: string | undefined;
    let tokenEvents = 0;
    try {
      for await (const event of this.events) {
        if (event.type === 'token') {
          tokenEvents++;
          if (!sawOutput) this.sli.firstToken();
          sawOutput = true;
        } else if (event.type === 'tool_calls') {
          if (!sawOutput) this.sli.firstToken();
          sawOutput = true;
        } else if (event.type === 'error') {
          error = event.message;
        } else if (event.type === 'done') {
          if (event.promptTokens !== undefined) this.totals.promptTokens = event.promptTokens;
          // An inference that reports no usage: one token per streamed piece, as a floor.
          this.totals.completionTokens = event.completionTokens ?? tokenEvents;
          if (event.finishReason) this.totals.finishReason = event.finishReason;
          if (event.model) this.totals.model = event.model;
        }
        yield event;
      }
      if (this.gone) this.end('stopped', 'client_gone', true);
      else if (error === undefined) this.end('complete', 'none', false);
      else this.end(sawOutput ? 'incomplete' : 'error', 'inference_error', false);
    } finally {
      // The reader left before the end: the client went away (or stopped reading).
      if (!this.ended) {
        await this.events.return(undefined);
        this.end('stopped', 'client_gone', true);
      }
    }
  }

  /** Token counts and finish reason, complete once {@link read} ended. */
  get result(): Readonly<AnswerTotals> {
    return this.totals;
  }

  private end(outcome: 'complete' | 'incomplete' | 'error' | 'stopped', reason: string, clientGone: boolean): void {
    if (this.ended) return;
    this.ended = true;
    this.release();
    this.sli.end(outcome, reason, clientGone);
    this.deps.usage.add(this.caller.keyId, this.caller.user.id, this.totals.promptTokens, this.totals.completionTokens);
    this.settle();
  }
}
