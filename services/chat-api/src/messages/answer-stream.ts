import { finished, type Readable } from 'node:stream';
import { DatabaseUnavailableError, isDatabaseUnavailable, type Database } from '@samosachaat/db';
import { inCurrentContext, traceHeaders, type GenerationOutcome, type GenerationStart, type Observability } from '@samosachaat/observability';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { CHAT_ERRORS, type ChatErrorCode } from '../errors.js';
import type { ChatMetrics, StreamOutcome, UpstreamFailure } from '../metrics.js';
import { describeNetworkError, failureReason } from '../upstream-errors.js';
import { generationSettings } from '../conversations/settings.js';
import { discard, startGeneration, type GenerateParams, type GenerateStart, type InferenceClientOptions } from './inference-client.js';
import type { HistoryCache } from './history-cache.js';
import { dropAnswerRow, persistAssistantMessage } from './answer-persistence.js';
import type { MessageWriter } from './message-writer.js';
import type { OpenStreams } from './open-streams.js';
import type { StopWatcher } from './stop-watcher.js';
import { DuplicateSendError, type AnswerContext } from './send-preparation.js';
import { SseClient } from './sse-client.js';
import { eventData, SseEventTooLargeError, SseParser } from './sse-parser.js';
import { readTokenEvent, readUpstreamEvent, sseEvent } from './upstream-events.js';
import { recordAnswer, type AnswerRecorder } from './answer-outcomes.js';
import type { PartFlushable, PartFlushClock } from './part-flush-clock.js';

/** What streaming an answer needs. */
export interface AnswerDeps {
  db: Database;
  obs: Observability;
  metrics: ChatMetrics;
  inference: InferenceClientOptions;
  /** How long a client may read nothing before it is cut off. */
  clientStallTimeoutMs: number;
  /** Where open streams report the bytes they hold. */
  openStreams: OpenStreams;
  /** Answer characters held in memory before they are written to the database. */
  answerFlushChars: number;
  /**
   * The clock of time flushes: a streamed token waits at most its interval before it is
   * written to the database (as a part), grouped with every other answer's.
   */
  partFlushes: PartFlushClock;
  /** This instance's answers in flight, so its sweep never marks one that is alive. */
  liveAnswers: Set<string>;
  /** Where stop requests (from any replica) reach the answers streaming here. */
  stops: StopWatcher;
  /** Recent history of conversations, kept in step with the answers stored here. */
  historyCache: HistoryCache;
  /** Where answers are inserted (grouped with other answers ending at the same time). */
  writer: MessageWriter;
  /**
   * How long a failed answer save is retried (with backoff, the stream kept open by comment
   * heartbeats) before the answer is reported `answer_not_saved`.
   */
  saveDeadlineMs: number;
  /**
   * The longest a send waits for inference's first token (from its arrival) before it is
   * answered 504 CHAT_INFERENCE_TIMEOUT; no response headers are sent before it.
   */
  firstTokenTimeoutMs: number;
}

/** One answer to stream. */
export interface AnswerJob {
  context: AnswerContext;
  model?: string;
  temperature?: number;
  maxTokens?: number;
  /** Regenerate: the new answer replaces the previous one when it is persisted. */
  replacePrevious: boolean;
}

// OpenTelemetry's SpanKind.CLIENT: the generation span is the call to another process.
const SPAN_KIND_CLIENT = 2 as NonNullable<GenerationStart['kind']>;

interface Failure {
  reason: UpstreamFailure;
  /** The error code a failure before the first byte is answered with (else chosen by reason). */
  code?: ChatErrorCode;
  retryAfterSeconds?: number;
  /** Sent to the client in the error event. */
  message: string;
  detail?: string;
  status?: number;
  /** inference's own message for a refusal (from its error envelope), which may be shown. */
  inferenceMessage?: string;
}

/** How a send that failed before its first token is answered (README "Error contract of a send"). */
interface Refusal {
  code: ChatErrorCode;
  retryAfterSeconds?: number;
  /** The message for the client, when more precise than the registry's. */
  message?: string;
  /** The answer's stored failure_code; by default the code, lower-case, without CHAT_. */
  failureCode?: string;
  /** The answer's stored failure_message; by default the message. */
  storedMessage?: string;
}

/** What was read from inference. */
class Accumulator {
  /**
   * The UTF-8 bytes of the tokens not yet written to the database, copied straight from
   * inference's events (see readTokenEvent): no string per token; one per part, at `take`.
   */
  private text: Buffer | undefined;
  private textBytes = 0;
  /** Their length as a string (UTF-16 units). */
  pendingChars = 0;
  /** Tokens received in all. */
  tokenCount = 0;
  /** Parts written to the database so far. */
  parts = 0;
  /** The part being written, if any (one at a time, so parts stay in order). */
  flushing: Promise<void> | undefined;
  /**
   * A part whose write failed: it may have landed all the same (a commit whose answer was
   * lost), so it is written again exactly as it was — same number, same text — before anything
   * else; writing a part twice changes nothing.
   */
  unconfirmed: { part: number; text: string } | undefined;
  /** Waiting for the flush clock's next tick. */
  flushScheduled = false;
  /**
   * A copy of the parts written, while they are short (up to the flush size), so the history
   * cache can still learn the whole answer; undefined once the answer outgrew it.
   */
  written: string[] | undefined = [];
  writtenChars = 0;
  outputTokens: number | undefined;
  model: string | undefined;
  /** The error event inference sent, if any (forwarded after the first token; before it, the send is refused). */
  upstreamError: string | undefined;
  /** Its code (inference's registry) and the Retry-After it passed on, when it said. */
  upstreamCode: string | undefined;
  upstreamRetryAfter: number | undefined;
  done = false;
  /** When inference's stream ended (done, error or cut): the end of `inference_time_ms`. */
  endedAt: number | undefined;
  /** The user stopped the answer (POST …/stop): what was generated is kept as `stopped`. */
  stopped = false;

  get status(): 'complete' | 'incomplete' | 'error' | 'stopped' {
    if (this.stopped) return 'stopped';
    if (this.done && this.upstreamError === undefined) return 'complete';
    return this.tokenCount > 0 ? 'incomplete' : 'error';
  }

  /** Room for `bytes` more. */
  private reserve(bytes: number): Buffer {
    const need = this.textBytes + bytes;
    let text = this.text;
    if (text === undefined || text.length < need) {
      // Not a slice of Node's shared pool: an open answer would keep a whole pool (64 KiB)
      // alive for its 256 bytes, interleaved as the pools are with other requests' buffers.
      const grown = Buffer.allocUnsafeSlow(Math.max(256, need, 2 * (text?.length ?? 0)));
      if (text !== undefined) text.copy(grown, 0, 0, this.textBytes);
      this.text = text = grown;
    }
    return text;
  }

  /** A token given as the UTF-8 bytes `source[from, to)`, `length` UTF-16 units long. */
  addBytes(source: Buffer, from: number, to: number, length: number): void {
    const text = this.reserve(to - from);
    this.textBytes += source.copy(text, this.textBytes, from, to);
    this.pendingChars += length;
    this.tokenCount++;
  }

  add(token: string): void {
    const text = this.reserve(Buffer.byteLength(token));
    this.textBytes += text.write(token, this.textBytes);
    this.pendingChars += token.length;
    this.tokenCount++;
  }

  /** The pending text, handed over to be written; the accumulator forgets it. */
  take(): string {
    const text = this.text === undefined ? '' : this.text.toString('utf8', 0, this.textBytes);
    // Let go: an answer between parts holds no buffer (a thousand slow answers would hold a
    // thousand mostly empty ones); the next token allocates one, about once a part.
    this.text = undefined;
    this.textBytes = 0;
    this.pendingChars = 0;
    return text;
  }
}

// Retry-After of a send refused because inference (or its upstream) is unreachable.
const RETRY_AFTER_SECONDS = 5;
const CHAT_ERROR_MESSAGES = Object.fromEntries(Object.entries(CHAT_ERRORS).map(([code, def]) => [code, def.message])) as Record<ChatErrorCode, string>;

// The longest a send whose history was cached waits for inference's headers before it saves
// the user message anyway.
const SAVE_WITHIN_MS = 5;
const noop = (): void => undefined;
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

// How long inference may take to end its response after `done` before it is cut.
const DRAIN_AFTER_DONE_MS = 2000;

/**
 * After `done` inference only ends its response: read what is left (nothing is forwarded) so
 * the keep-alive connection goes back to the pool, without making the answer wait for it; a
 * response that does not end soon is destroyed.
 */
function drainAfterDone(body: Readable): void {
  if (body.readableEnded || body.destroyed) return;
  const timer = setTimeout(() => body.destroy(), DRAIN_AFTER_DONE_MS);
  timer.unref();
  // An abort or a reset after done loses nothing of the answer.
  finished(body, () => clearTimeout(timer));
  body.resume();
}

/**
 * The states of an answer, and the only transitions between them (see the chat-api README's
 * state diagram). Every step of {@link AnswerStream} moves through {@link AnswerStream.to},
 * which refuses any other move.
 *
 * - `starting`: inference is asked; the user message (if not saved yet) is being saved.
 * - `refused`: nothing was streamed — the save failed, or inference failed before the first
 *   token (unreachable, over capacity, an upstream refusal, the first-token deadline): the
 *   request ends with an HTTP error (README "Error contract of a send").
 * - `streaming`: inference's token events are forwarded to the client while tokens
 *   accumulate; inference's own `done` is held back. The client's response headers wait for
 *   the first token (or `done`), so a failure before it can still be an HTTP error.
 * - `finishing`: inference's stream ended (done, error or cut); an `error` event when it was
 *   cut and inference did not send one itself.
 * - `persisting`: the answer is written to the database, retried with backoff while the
 *   stream is kept open by comment heartbeats, up to the save deadline.
 * - `acknowledging`: chat-api's own terminal events: `done` with the stored `message_id`, or
 *   `answer_not_saved` then `done` with `saved: false`.
 * - `ended`: the response is closed and the stream's resources released.
 */
export type AnswerState = 'starting' | 'refused' | 'streaming' | 'finishing' | 'persisting' | 'acknowledging' | 'ended';

export const ANSWER_TRANSITIONS: Readonly<Record<AnswerState, readonly AnswerState[]>> = Object.freeze({
  starting: ['streaming', 'refused'],
  refused: [],
  streaming: ['finishing', 'refused', 'ended'],
  finishing: ['persisting', 'ended'],
  persisting: ['acknowledging', 'ended'],
  acknowledging: ['ended'],
  ended: [],
});

/** How a persisted answer ended up. */
type SaveResult = { saved: true; id: string } | { saved: false; reason: 'conversation_deleted' | 'answer_not_saved' };

// Backoff between attempts to save an answer while the database is unavailable.
const SAVE_RETRY_FIRST_MS = 100;
const SAVE_RETRY_MAX_MS = 2000;
// An SSE comment this often while a save is retried, so proxies and clients see a live stream.
const SAVE_HEARTBEAT_MS = 1000;

/**
 * Streams one answer: calls inference, forwards its events to the client unchanged and in
 * order (honouring the client's backpressure), accumulates the tokens and persists the
 * answer. A client that leaves stops being written to while the answer is still read to
 * the end and persisted. An inference failure becomes an `error` event then `done` (never
 * duplicating ones inference sent itself), and what was generated is kept as incomplete.
 * A failure before the first token is an HTTP error (503/502/504, README "Error contract of a
 * send"); the user message stays saved and the answer is stored as `error` with the reason.
 */
export async function streamAnswer(deps: AnswerDeps, request: FastifyRequest, reply: FastifyReply, job: AnswerJob): Promise<void> {
  await new AnswerStream(deps, request, reply, job).run();
}

/** One answer's life, as a state machine ({@link ANSWER_TRANSITIONS}). */
export class AnswerStream implements PartFlushable {
  private stateNow: AnswerState = 'starting';
  private readonly log;
  private readonly conversationId: string;
  private model: string | undefined;
  private readonly startedAt = performance.now();
  private readonly acc = new Accumulator();
  private readonly client: SseClient;
  private readonly gen;
  private readonly params: GenerateParams;
  private readonly parser = new SseParser();
  private userMessageId = '';
  private answerId = '';
  /** Inference's response while it is read (destroyed by a stop). */
  private body: Readable | undefined;
  private failure: Failure | undefined;
  /** The answer SLIs: its first token and how it ended (docs/slos.md). */
  private readonly sli: AnswerRecorder;
  private saveResult: SaveResult | undefined;
  /** The client's response was opened (headers sent): from the first token, or `done`. */
  private opened = false;
  /** Events read before the first token (nothing of an answer yet), written once it opens. */
  private held: Buffer[] = [];
  /** The first-token deadline passed with nothing streamed. */
  private firstTokenExpired = false;

  constructor(
    private readonly deps: AnswerDeps,
    request: FastifyRequest,
    private readonly reply: FastifyReply,
    private readonly job: AnswerJob,
  ) {
    const { obs, metrics } = deps;
    this.sli = recordAnswer(metrics, 'chat', this.startedAt);
    this.log = obs.getLogger('messages');
    this.conversationId = job.context.conversation.id;
    this.model = job.model ?? job.context.conversation.model_tag ?? undefined;
    this.client = new SseClient(request, reply, deps.clientStallTimeoutMs, () => {
      metrics.clientDisconnects.inc();
      this.log.info({ conversation_id: this.conversationId, tokens_forwarded: this.acc.tokenCount }, 'stream_client_disconnected');
    });
    this.gen = obs.startGeneration({
      model: this.model ?? 'default',
      provider: 'samosachaat-inference',
      kind: SPAN_KIND_CLIENT,
      inputTokens: job.context.estimatedTokens,
      temperature: job.temperature ?? job.context.conversation.temperature ?? undefined,
      maxTokens: job.maxTokens ?? job.context.conversation.max_tokens ?? undefined,
    });
    // The conversation's settings (system prompt, temperature, max tokens), unless the request names its own.
    this.params = generationSettings(job.context.history, job.context.conversation, job);
    if (this.model !== undefined) this.params.model = this.model;
  }

  /** The answer's current state. */
  get state(): AnswerState {
    return this.stateNow;
  }

  /** Moves to `next`; a move the table does not allow is a bug, not a runtime condition. */
  private to(next: AnswerState): void {
    if (!ANSWER_TRANSITIONS[this.stateNow].includes(next)) throw new Error(`answer stream: no transition ${this.stateNow} -> ${next}`);
    this.stateNow = next;
  }

  /** The whole life: start, stream, finish, persist, end. */
  async run(): Promise<void> {
    const started = await this.start();
    const { metrics } = this.deps;
    metrics.activeStreams.inc();
    const { client, parser } = this;
    const unregister = this.deps.openStreams.add({
      get bufferedBytes() {
        return client.bufferedBytes + parser.bufferedBytes;
      },
    });
    try {
      this.failure = started.ok ? await this.relay(started.body) : started;
      if (!this.opened) {
        // Nothing reached the client yet: a failure now is an HTTP error, not a 200 stream.
        const refusal = this.refusal();
        if (refusal) throw await this.refuseBeforeFirstByte(refusal);
        void this.openClient();
      }
      // Not including the time the last bytes waited for a slow client.
      const inferenceTimeMs = Math.round((this.acc.endedAt ?? performance.now()) - this.startedAt);
      this.to('finishing');
      if (this.failure) this.reportFailure(this.failure);
      this.endGeneration();
      await this.finishStream();
      this.to('persisting');
      const saved = await this.persist(inferenceTimeMs);
      this.saveResult = saved;
      this.to('acknowledging');
      await this.acknowledge(saved);
    } finally {
      const refused = this.stateNow === 'refused';
      if (!refused) this.to('ended');
      this.deps.liveAnswers.delete(this.answerId);
      this.deps.stops.delete(this.answerId);
      this.deps.partFlushes.delete(this);
      // A refused send's error response is Fastify's to send (the reply was never hijacked).
      if (!refused) this.client.end();
      unregister();
      metrics.activeStreams.dec();
      const outcome: StreamOutcome = this.client.disconnected ? 'client_disconnected' : this.acc.status;
      metrics.streamDuration.observe({ outcome }, (performance.now() - this.startedAt) / 1000);
      this.endGeneration();
      // A refused send is counted by the route, from the status it was answered with.
      if (!refused) this.recordOutcome();
    }
  }

  /**
   * Sends the response headers (once) with what was held back before the first token and
   * `first` (the first token's events), in one write: one packet, one wake-up of the client.
   * Resolves like {@link SseClient.write}.
   */
  private openClient(first?: Buffer): Promise<void> | undefined {
    if (this.opened) return undefined;
    this.opened = true;
    const bytes = this.held.length === 0 ? first : Buffer.concat(first === undefined ? this.held : [...this.held, first]);
    this.held = [];
    return this.client.open({ 'x-user-message-id': this.userMessageId, 'x-answer-message-id': this.answerId }, bytes);
  }

  /**
   * Whether the answer failed before its first token, and how the send is answered then
   * (README "Error contract of a send"); undefined when it is to be streamed (a token came, it
   * was stopped, or inference finished without error).
   */
  private refusal(): Refusal | undefined {
    const { acc, failure } = this;
    if (acc.stopped || acc.tokenCount > 0) return undefined;
    const deadlinePassed = performance.now() - this.startedAt >= this.deps.firstTokenTimeoutMs;
    if (this.firstTokenExpired || (failure?.reason === 'timeout' && deadlinePassed)) {
      return { code: 'CHAT_INFERENCE_TIMEOUT', message: `inference sent no first token within ${this.deps.firstTokenTimeoutMs / 1000} s; retry shortly` };
    }
    if (failure) {
      if (failure.reason === 'over_capacity') {
        const seconds = failure.retryAfterSeconds ?? 5;
        return {
          code: 'CHAT_INFERENCE_OVER_CAPACITY',
          retryAfterSeconds: failure.retryAfterSeconds,
          message: `inference is over capacity; your message was saved: retry with POST /api/conversations/${this.conversationId}/regenerate`,
          failureCode: 'over_capacity',
          storedMessage: `inference is over capacity; retry in ${seconds} s`,
        };
      }
      if (failure.code) return { code: failure.code };
      if (failure.reason === 'timeout') return { code: 'CHAT_INFERENCE_TIMEOUT' };
      // inference answered, but not with a stream (non-2xx, not an event stream).
      if (failure.status !== undefined) return { code: 'CHAT_INFERENCE_FAILED', message: failure.inferenceMessage ? `inference refused the request: ${failure.inferenceMessage}` : undefined };
      return { code: 'CHAT_INFERENCE_UNAVAILABLE', retryAfterSeconds: RETRY_AFTER_SECONDS };
    }
    if (acc.upstreamError === undefined) return undefined;
    const retryAfterSeconds = acc.upstreamRetryAfter ?? RETRY_AFTER_SECONDS;
    switch (acc.upstreamCode) {
      case 'INFERENCE_UPSTREAM_RATE_LIMITED':
        return { code: 'CHAT_UPSTREAM_RATE_LIMITED', retryAfterSeconds, message: `the model server is rate-limiting requests; retry in ${retryAfterSeconds} s` };
      case 'INFERENCE_UPSTREAM_UNAVAILABLE':
        return { code: 'CHAT_UPSTREAM_UNAVAILABLE', retryAfterSeconds };
      case 'INFERENCE_UPSTREAM_REFUSED':
        return { code: 'CHAT_UPSTREAM_REFUSED' };
      case 'INFERENCE_GENERATION_TIMEOUT':
        return { code: 'CHAT_INFERENCE_TIMEOUT' };
      case 'INFERENCE_SHUTTING_DOWN':
      case 'INFERENCE_OVER_CAPACITY':
        return { code: 'CHAT_INFERENCE_UNAVAILABLE', retryAfterSeconds };
      default:
        return { code: 'CHAT_INFERENCE_FAILED' };
    }
  }

  /**
   * `refused` after inference was asked: the answer ends before it began — its row stored as
   * `error` with the code and the message the client is told, so a reload shows them and
   * regenerate replaces it — and the error to answer the send with is returned. The user
   * message stays saved (`x-user-message-id`).
   */
  private async refuseBeforeFirstByte(refusal: Refusal): Promise<Error> {
    const { deps, acc } = this;
    const message = refusal.message ?? CHAT_ERROR_MESSAGES[refusal.code];
    const stored = refusal.storedMessage ?? message;
    const failureCode = refusal.failureCode ?? refusal.code.replace(/^CHAT_/, '').toLowerCase();
    if (this.failure) this.reportFailure(this.failure);
    else if (acc.upstreamError !== undefined) this.reportFailure({ reason: 'stream_error', message: 'inference reported an error before the first token', detail: `${acc.upstreamCode ?? 'uncoded'}: ${acc.upstreamError}` });
    else this.reportFailure({ reason: 'timeout', message: stored });
    this.to('refused');
    this.client.abandon();
    await deps.writer
      .finishAnswer({
        conversationId: this.conversationId,
        id: this.answerId,
        content: '',
        tokenCount: 0,
        modelTag: acc.model ?? this.model ?? null,
        inferenceTimeMs: Math.round((acc.endedAt ?? performance.now()) - this.startedAt),
        status: 'error',
        failureCode,
        failureMessage: stored,
      })
      .catch(async (err: unknown) => {
        this.log.warning({ err, conversation_id: this.conversationId }, 'answer_row_end_failed');
        await dropAnswerRow(deps.db, this.answerId).catch(() => undefined);
      });
    deps.historyCache.delete(this.conversationId);
    this.reply.header('x-user-message-id', this.userMessageId);
    this.reply.header('x-answer-message-id', this.answerId);
    this.log.info({ conversation_id: this.conversationId, message_id: this.answerId, code: refusal.code, failure_code: failureCode }, 'answer_refused');
    return CHAT_ERRORS[refusal.code]({ message, retryAfterSeconds: refusal.retryAfterSeconds });
  }

  /** Counts the answer once, by how it ended: the stream's outcome, not the HTTP status. */
  private recordOutcome(): void {
    const { acc, failure, saveResult } = this;
    const gone = this.client.disconnected;
    if (saveResult && !saveResult.saved) {
      // A conversation deleted while its answer streamed is the user's doing, like a stop.
      if (saveResult.reason === 'conversation_deleted') this.sli.end('stopped', 'deleted_by_user', gone);
      else this.sli.end('not_saved', saveResult.reason, gone);
      return;
    }
    const status = acc.status;
    const reason = status === 'stopped' ? 'user' : (failure?.reason ?? (acc.upstreamError !== undefined ? 'upstream_error' : status === 'complete' ? 'none' : 'ended_early'));
    this.sli.end(status, reason, gone);
  }

  /**
   * `starting`: inference is asked first; the user message (when it is not saved already: a
   * send whose history was cached) is saved once inference has answered with its headers — or
   * after SAVE_WITHIN_MS at the latest, so a queueing inference never keeps the message unsaved
   * — so the save overlaps the wait for the first token instead of competing with inference's
   * start for the CPU (on the 2-core benchmark machine that competition cost ~0.6 ms of time to
   * first token). Nothing reaches the client before the save is committed; a failed save, or
   * inference over capacity, ends the answer before it began (`refused`, thrown).
   */
  private async start(): Promise<GenerateStart> {
    const { job, gen, params, deps } = this;
    // inference's headers are awaited no longer than the first-token deadline.
    const inference = { ...deps.inference, headersTimeoutMs: Math.min(deps.inference.headersTimeoutMs, deps.firstTokenTimeoutMs) };
    const starting = gen.run(() => startGeneration(inference, params, traceHeaders()));
    let saveTimer: NodeJS.Timeout | undefined;
    const saveDeadline = new Promise<void>((resolve) => (saveTimer = setTimeout(resolve, SAVE_WITHIN_MS)));
    const committing = Promise.race([starting.then(noop, noop), saveDeadline]).then(() => {
      clearTimeout(saveTimer);
      return job.context.commit();
    });
    // Awaited below; this only keeps a failed save from counting as unhandled meanwhile.
    committing.catch(noop);
    let started = await starting;
    try {
      const committed = await committing;
      this.userMessageId = committed.userMessageId;
      this.answerId = committed.answerId;
      this.deps.liveAnswers.add(committed.answerId);
      this.deps.stops.add(committed.answerId, this);
      if (committed.restartWith) {
        // The cached history was stale (another writer changed the conversation): nothing of
        // that generation reached anyone; start over on what the database holds.
        if (started.ok) discard(started.body);
        const fresh = committed.restartWith;
        this.log.info({ conversation_id: this.conversationId, history_messages: fresh.history.length }, 'history_cache_stale');
        this.model = job.model ?? fresh.conversation.model_tag ?? undefined;
        gen.span.setAttributes({ 'gen_ai.request.model': this.model ?? 'default', 'gen_ai.usage.input_tokens': fresh.estimatedTokens });
        const settings = generationSettings(fresh.history, fresh.conversation, job);
        params.messages = settings.messages;
        params.temperature = settings.temperature;
        params.max_tokens = settings.max_tokens;
        if (this.model === undefined) delete params.model;
        else params.model = this.model;
        started = await gen.run(() => startGeneration(inference, params, traceHeaders()));
      }
    } catch (err) {
      if (started.ok) discard(started.body);
      this.refuse();
      // A duplicate send, or one over the user's stream cap on the replicas together
      // (stream-slots.ts), is no failure: the generation started for it is simply not needed.
      if (err instanceof DuplicateSendError || (err as { code?: unknown }).code === 'CHAT_TOO_MANY_STREAMS') gen.end({ outcome: 'client_disconnected' });
      else gen.end({ outcome: 'upstream_error', error: err as Error });
      throw err;
    }
    this.to('streaming');
    return started;
  }

  /**
   * Stops the answer (the user asked, on this replica or another): inference's response is
   * destroyed, which cancels the generation upstream (inference frees its worker); what was
   * generated is stored as `stopped`. Only while streaming; later, the answer ends anyway.
   */
  stop(): void {
    if (this.acc.stopped || (this.stateNow !== 'starting' && this.stateNow !== 'streaming')) return;
    this.acc.stopped = true;
    this.log.info({ conversation_id: this.conversationId, message_id: this.answerId, tokens_received: this.acc.tokenCount }, 'answer_stopped');
    this.body?.destroy();
  }

  private refuse(): void {
    this.to('refused');
    this.client.abandon();
  }

  /** Ends the generation span (once; later calls are ignored by the span). */
  private endGeneration(): void {
    const { acc, failure: cut } = this;
    const outcome: GenerationOutcome = cut || acc.upstreamError !== undefined ? 'upstream_error' : this.client.disconnected || acc.stopped ? 'client_disconnected' : 'completed';
    this.gen.end({
      outcome,
      outputTokens: acc.outputTokens ?? acc.tokenCount,
      responseModel: acc.model,
      error: outcome === 'upstream_error' ? new Error(cut?.message ?? acc.upstreamError) : undefined,
    });
  }

  /** `streaming`: reads inference to the end; returns the failure that cut it short, if any. */
  private relay(body: Readable): Promise<Failure | undefined> {
    const { acc } = this;
    // Errors surface through `finished` below; once it is detached, a late abort must not
    // become an uncaught 'error' event.
    body.on('error', () => undefined);
    this.body = body;
    // Stopped while inference was being asked: nothing more to read.
    if (acc.stopped) body.destroy();
    // The first-token deadline, from the send's arrival: nothing streamed by then is a 504.
    const firstTokenTimer = setTimeout(
      () => {
        if (this.opened || acc.stopped) return;
        this.firstTokenExpired = true;
        body.destroy();
      },
      Math.max(0, this.deps.firstTokenTimeoutMs - (performance.now() - this.startedAt)),
    );
    // Read in flowing mode: each chunk is handled synchronously in its 'data' event, with no
    // promise per chunk (an async iterator makes several, each one more async resource to
    // track), and the body is paused only while a write drains or a part must be stored
    // first. The body is never destroyed after `done` (destroying a response undici has not
    // read to its end closes the connection, so the next answer would pay for a new one): the
    // rest is read in the background instead (see drainAfterDone).
    return new Promise<Failure | undefined>((resolve) => {
      let settled = false;
      const settle = (err: Error | null | undefined): void => {
        if (settled) return;
        settled = true;
        clearTimeout(firstTokenTimer);
        body.off('data', onData);
        unwatch();
        resolve(this.relayEnded(body, err ?? undefined));
      };
      const resume = (): void => {
        if (settled) return;
        if (acc.done) settle(undefined);
        else body.resume();
      };
      // In this answer's context: what a chunk logs or stores carries its trace.
      const onData = inCurrentContext((chunk: Buffer): void => {
        if (settled) return;
        let wait: Promise<void> | undefined;
        try {
          wait = this.relayChunk(chunk);
        } catch (err) {
          settle(err as Error);
          return;
        }
        if (wait !== undefined) {
          body.pause();
          void wait.then(resume, resume);
        } else if (acc.done) settle(undefined);
      });
      // The end, an error, or a close before the end (a stop, the deadline): what the stream's
      // async iterator would have reported.
      const unwatch = finished(body, { writable: false }, settle);
      body.on('data', onData);
    });
  }

  /**
   * One chunk of inference's stream: its events read, forwarded and accumulated. Returns a
   * promise when reading must wait (the client drains, or the part being stored must be
   * written first so memory stays bounded); undefined in the common case.
   */
  private relayChunk(chunk: Buffer): Promise<void> | undefined {
    const { acc, parser, client, gen } = this;
    // Events are byte ranges of `buf`; forwarded as they came unless one is held back
    // (inference's done) or replaced (an error): then `parts` collects what goes out.
    const n = parser.scan(chunk);
    const buf = parser.buffer;
    let parts: Buffer[] | undefined;
    let runStart = 0;
    let end = 0;
    let tokenInChunk = false;
    for (let k = 0; k < n; k++) {
      const start = parser.eventStart(k);
      end = parser.eventEnd(k);
      // The common event, read on the bytes: nothing allocated for it.
      if (readTokenEvent(buf, start, end, acc)) {
        gen.tokens();
        tokenInChunk = true;
        continue;
      }
      const seen = readUpstreamEvent(eventData(buf, start, end));
      if (seen.error !== undefined || seen.done) {
        parts ??= [];
        if (start > runStart) parts.push(buf.subarray(runStart, start));
        runStart = end;
      }
      if (seen.error !== undefined) {
        if (acc.upstreamError === undefined) {
          acc.upstreamError = seen.error;
          acc.upstreamCode = seen.code;
          acc.upstreamRetryAfter = seen.retryAfter;
        }
        // Before the first token it is not forwarded: the send is answered with an HTTP
        // error instead. After it, chat-api's own event with the stored failure code.
        if (this.opened || tokenInChunk) parts?.push(Buffer.from(sseEvent({ error: seen.error, code: 'inference_error' })));
      }
      // (inference's done is held back: chat-api sends its own once the answer is stored.)
      if (seen.token !== undefined) {
        acc.add(seen.token);
        gen.tokens();
        tokenInChunk = true;
      }
      if (seen.outputTokens !== undefined) acc.outputTokens = seen.outputTokens;
      if (seen.model !== undefined) acc.model = seen.model;
      if (seen.done) {
        acc.done = true;
        acc.endedAt = performance.now();
        break;
      }
    }
    // One write per chunk: the chunk itself when it was exactly its events, all forwarded.
    let out: Buffer | undefined;
    if (parts === undefined) out = end === 0 ? undefined : parser.wholeChunk ? chunk : buf.subarray(0, end);
    else {
      if (end > runStart) parts.push(buf.subarray(runStart, end));
      out = parts.length === 0 ? undefined : parts.length === 1 ? parts[0] : Buffer.concat(parts);
    }
    // Most writes are taken at once: no promise is made for them (see SseClient.write).
    let draining: Promise<void> | undefined;
    if (this.opened) draining = out !== undefined ? client.write(out) : undefined;
    // The response headers wait for the first token (README "Error contract of a send"),
    // then leave in one write with it and whatever was held back.
    else if (tokenInChunk) draining = this.openClient(out);
    else if (out !== undefined) this.held.push(out);
    if (tokenInChunk) this.sli.firstToken();
    if (draining) return draining.then(this.afterWrite);
    return this.afterWrite();
  }

  /** After a chunk's write: stores a part when one is due (see the flush settings). */
  private readonly afterWrite = (): Promise<void> | undefined => {
    const { acc } = this;
    if (acc.done) return undefined;
    if (acc.pendingChars >= this.deps.answerFlushChars) {
      // Memory stays bounded: wait for the write before reading more.
      this.flushPart();
      return acc.flushing;
    }
    if (acc.pendingChars > 0 && !acc.flushScheduled) {
      // About once a second the text so far goes to the database, with every other answer's
      // (one clock, one statement), so a crash loses at most that much; the stream does not wait.
      acc.flushScheduled = true;
      this.deps.partFlushes.add(this);
    }
    return undefined;
  };

  /** The flush clock's tick: the text so far becomes the next part (unless the answer is ending). */
  flushDue(): void {
    const { acc } = this;
    acc.flushScheduled = false;
    if (acc.done || this.stateNow !== 'streaming') return;
    if (acc.flushing !== undefined) {
      // The previous part is still being written (a slow database): the next tick, then.
      acc.flushScheduled = true;
      this.deps.partFlushes.add(this);
      return;
    }
    this.flushPart();
  }

  /** How reading ended: `err` from the stream, if any; returns the failure that cut it short. */
  private relayEnded(body: Readable, err: Error | undefined): Failure | undefined {
    const { acc } = this;
    if (acc.done) drainAfterDone(body);
    else body.destroy();
    if (err !== undefined) {
      acc.endedAt = performance.now();
      if (acc.stopped) return undefined;
      if (this.firstTokenExpired) return { reason: 'timeout', code: 'CHAT_INFERENCE_TIMEOUT', message: 'inference sent no first token in time' };
      if (err instanceof SseEventTooLargeError) return { reason: 'stream_error', code: 'CHAT_INFERENCE_FAILED', message: 'inference sent a malformed stream', detail: err.message };
      const reason = failureReason(err);
      return { reason, message: reason === 'timeout' ? 'inference stopped answering (timed out)' : 'inference connection dropped mid-answer', detail: describeNetworkError(err) };
    }
    acc.endedAt ??= performance.now();
    if (!acc.done && !acc.stopped) return { reason: 'stream_error', message: 'inference stream ended before it was done' };
    return undefined;
  }

  /** `finishing`: an error event when inference was cut short and did not send one itself. */
  private async finishStream(): Promise<void> {
    const { acc, failure: cut } = this;
    if (acc.upstreamError !== undefined && !cut) {
      // inference sent its own error, already forwarded: count it, add nothing.
      this.reportFailure({ reason: 'stream_error', message: 'inference reported an error', detail: acc.upstreamError });
      return;
    }
    if (!cut || acc.upstreamError !== undefined) return;
    // The code is the failure_code the answer is stored with (README "Error contract of a send").
    await this.client.write(sseEvent({ error: cut.message, code: cut.reason }));
  }

  /** `acknowledging`: chat-api's own terminal events, once the answer's fate is known. */
  private async acknowledge(result: SaveResult): Promise<void> {
    if (result.saved) {
      await this.client.write(sseEvent(this.acc.stopped ? { done: true, message_id: result.id, stopped: true } : { done: true, message_id: result.id }));
      return;
    }
    const tail = result.reason === 'answer_not_saved' ? sseEvent({ error: 'the answer could not be saved: the database is unavailable', code: 'answer_not_saved' }) : '';
    await this.client.write(tail + sseEvent({ done: true, saved: false }));
  }

  /**
   * Hands the pending text to the database as the answer's next part (grouped with other
   * answers' parts: one statement per batch), so a crash loses at most the last second and
   * memory per stream stays bounded however long the answer. One part is written at a time; a
   * failed write puts its text back in front of the pending text and the next flush (or the
   * final save) tries again: nothing is lost.
   */
  private flushPart(): void {
    const { acc } = this;
    if (acc.flushing !== undefined || (acc.pendingChars === 0 && acc.unconfirmed === undefined)) return;
    acc.flushing = this.writePart()
      .catch((err: unknown) => {
        this.deps.obs.rateLimited('answer-flush').warning('answer_flush_failed', { err, conversation_id: this.conversationId, pending_chars: acc.pendingChars });
      })
      .finally(() => (acc.flushing = undefined));
  }

  /** Writes the unconfirmed part if there is one, else the pending text as the next part; throws when the write fails. */
  private async writePart(): Promise<void> {
    const { acc } = this;
    const { part, text } = acc.unconfirmed ?? { part: acc.parts, text: acc.take() };
    acc.unconfirmed = { part, text };
    // False: the answer was deleted meanwhile; the final save will say so.
    const written = await this.deps.writer.savePart({ messageId: this.answerId, part, content: text });
    acc.unconfirmed = undefined;
    if (!written) return;
    acc.parts = part + 1;
    acc.writtenChars += text.length;
    if (acc.writtenChars <= this.deps.answerFlushChars) acc.written?.push(text);
    else acc.written = undefined;
  }

  /**
   * `persisting`: the answer is written (one grouped statement in the common case). A save
   * the database could not serve (unavailable, timed out) is tried again with backoff until
   * the save deadline, a comment heartbeat keeping the stream open meanwhile; whether the
   * client is still there changes nothing. Past the deadline, or on an error a retry cannot
   * fix, the answer is lost: counted (`chat_answers_not_saved_total`) and logged once.
   */
  private async persist(timeMs: number): Promise<SaveResult> {
    const { acc, deps, conversationId, log } = this;
    const status = acc.status;
    const tokenCount = acc.outputTokens ?? acc.tokenCount;
    const modelTag = acc.model ?? this.model ?? null;
    // A part still being written goes first: the rest is joined after it.
    await acc.flushing;
    const content = acc.take();
    const record = {
      conversationId,
      answerId: this.answerId,
      answersMessageId: this.userMessageId,
      failureCode: status === 'complete' ? null : status === 'stopped' ? 'stopped' : (this.failure?.reason ?? (acc.upstreamError !== undefined ? 'inference_error' : null)),
      failureMessage: status === 'complete' ? null : status === 'stopped' ? 'stopped by the user' : (this.failure?.message ?? acc.upstreamError ?? null),
      content,
      tokenCount,
      modelTag,
      inferenceTimeMs: timeMs,
      status,
      replacePrevious: this.job.replacePrevious,
    };
    const deadline = performance.now() + deps.saveDeadlineMs;
    let attempts = 0;
    let delay = SAVE_RETRY_FIRST_MS;
    let heartbeat: NodeJS.Timeout | undefined;
    try {
      for (;;) {
        attempts++;
        try {
          // A part whose write may or may not have landed is settled first (idempotently).
          if (acc.unconfirmed !== undefined) await this.writePart();
          const saved = await persistAssistantMessage(deps.writer, record);
          if (!saved) {
            deps.historyCache.delete(conversationId);
            log.warning({ conversation_id: conversationId, role: 'assistant', status }, 'message_discarded_conversation_deleted');
            return { saved: false, reason: 'conversation_deleted' };
          }
          // The answer is now the conversation's newest message (failed answers are never
          // history); a replacing answer, or one too long to have been kept whole, changed more
          // than the cache can follow: forget the entry.
          const whole = acc.written === undefined ? undefined : acc.written.join('') + content;
          if (saved.version === undefined || attempts > 1 || whole === undefined) deps.historyCache.delete(conversationId);
          else deps.historyCache.advance(conversationId, saved.version, status === 'error' ? undefined : { role: 'assistant', content: whole, token_count: tokenCount });
          deps.metrics.messagesPersisted.inc({ role: 'assistant', outcome: status });
          log.info(
            { conversation_id: conversationId, message_id: saved.id, role: 'assistant', token_count: tokenCount, status, model_tag: modelTag, inference_time_ms: timeMs, replaced_messages: saved.replaced, save_attempts: attempts },
            'message_persisted',
          );
          return { saved: true, id: saved.id };
        } catch (err) {
          deps.historyCache.delete(conversationId);
          const retryable = err instanceof DatabaseUnavailableError || isDatabaseUnavailable(err);
          const left = deadline - performance.now();
          if (!retryable || left <= 0) {
            deps.metrics.answersNotSaved.inc();
            log.error({ err, conversation_id: conversationId, role: 'assistant', status, save_attempts: attempts, retryable }, 'answer_not_saved');
            return { saved: false, reason: 'answer_not_saved' };
          }
          deps.obs.rateLimited('answer-save-retry').warning('answer_save_retrying', { err, conversation_id: conversationId, save_attempts: attempts });
          heartbeat ??= setInterval(() => void this.client.write(': saving\n\n'), SAVE_HEARTBEAT_MS);
          await sleep(Math.min(delay, left));
          delay = Math.min(delay * 2, SAVE_RETRY_MAX_MS);
        }
      }
    } finally {
      clearInterval(heartbeat);
    }
  }

  private reportFailure(f: Failure): void {
    this.deps.metrics.upstreamErrors.inc({ upstream: 'inference', reason: f.reason });
    const fields: Record<string, unknown> = { upstream: 'inference', reason: f.reason, conversation_id: this.conversationId, tokens_received: this.acc.tokenCount };
    if (f.status !== undefined) fields.status_code = f.status;
    fields.error = f.detail ?? f.message;
    this.log.error(fields, 'upstream_failed');
  }
}
