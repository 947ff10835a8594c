import type { Metrics } from '@samosachaat/observability';

/** How an answer stream ended, as `chat_stream_duration_seconds{outcome}` records it. */
export type StreamOutcome = 'complete' | 'incomplete' | 'error' | 'stopped' | 'client_disconnected';
/** The status a message is persisted with (`chat_messages_persisted_total{outcome}`); `streaming` while it streams. */
export type MessageStatus = 'complete' | 'incomplete' | 'error' | 'stopped' | 'streaming';
/** Which dependency failed. */
export type Upstream = 'auth' | 'inference';
/** Why it failed. */
export type UpstreamFailure = 'connect' | 'timeout' | 'status_5xx' | 'status_4xx' | 'stream_error' | 'over_capacity';

/**
 * How an answer ended, for the answer SLIs (`chat_answers_total{outcome}`, docs/slos.md):
 * complete and stored; incomplete (cut short after it began); error (failed before its first
 * token, inside a 200 stream); stopped (the user pressed Stop: neither good nor bad);
 * not_saved (streamed but the database never took it); refused (an HTTP 5xx before any byte,
 * over capacity included).
 */
export type AnswerOutcome = 'complete' | 'incomplete' | 'error' | 'stopped' | 'not_saved' | 'refused';
/** Where the answer was asked for: the chat UI's API or the OpenAI-compatible one. */
export type AnswerSurface = 'chat' | 'api';

/** Buckets of user-perceived time to first token; 2.5 s is the TTFT SLO's threshold. */
export const ANSWER_TTFT_BUCKETS = [0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30, 60];

// Answers can legitimately stream for minutes; the top buckets keep them apart.
const STREAM_BUCKETS = [0.1, 0.25, 0.5, 1, 2.5, 5, 10, 20, 30, 60, 120, 300, 600, 1200];

/** Live values read at scrape time. */
export interface ChatMetricSources {
  /** Bytes of answer streams held in memory (see OpenStreams). */
  bufferedBytes?: () => number;
}

/**
 * The chat-api's own metric families (SPEC §4), created on the service's registry. Every
 * label is bounded: outcomes, roles, upstream names and failure reasons.
 */
export function createChatMetrics(metrics: Metrics, sources: ChatMetricSources = {}) {
  return {
    bufferedBytes: metrics.gauge({
      name: 'chat_stream_buffered_bytes',
      help: 'Bytes of answer streams held in chat-api memory for slow clients (unflushed socket buffers plus partial events); bounded by backpressure.',
      collect() {
        this.set(sources.bufferedBytes?.() ?? 0);
      },
    }),
    activeStreams: metrics.gauge({
      name: 'chat_active_streams',
      help: 'Answer streams (SSE) currently open between chat-api and inference.',
    }),
    streamDuration: metrics.histogram<'outcome'>({
      name: 'chat_stream_duration_seconds',
      help: 'Whole duration of an answer stream, by outcome (complete, incomplete, error, client_disconnected).',
      labelNames: ['outcome'],
      buckets: STREAM_BUCKETS,
    }),
    clientDisconnects: metrics.counter({
      name: 'chat_client_disconnects_total',
      help: 'Clients that went away while their answer was streaming (the answer is still persisted).',
    }),
    messagesPersisted: metrics.counter<'role' | 'outcome'>({
      name: 'chat_messages_persisted_total',
      help: 'Messages written to the database, by role and status (complete, incomplete, error).',
      labelNames: ['role', 'outcome'],
    }),
    answersNotSaved: metrics.counter({
      name: 'chat_answers_not_saved_total',
      help: 'Answers that could not be stored: the database stayed unavailable past ANSWER_SAVE_DEADLINE_MS (or refused the write); the client was told answer_not_saved and saved:false.',
    }),
    duplicateSends: metrics.counter({
      name: 'chat_duplicate_sends_total',
      help: 'Sends whose client message id (Idempotency-Key) was stored already: answered with the stored message, nothing stored twice.',
    }),
    answersInterrupted: metrics.counter({
      name: 'chat_answers_interrupted_total',
      help: 'Streaming answers this instance marked incomplete because the instance streaming them stopped (its lease expired) or gave up saving them.',
    }),
    authCacheRequests: metrics.counter<'result'>({
      name: 'chat_auth_cache_requests_total',
      help: 'Token validations answered from the in-process cache (hit) or by asking auth (miss).',
      labelNames: ['result'],
    }),
    historyCache: metrics.counter<'result'>({
      name: 'chat_history_cache_requests_total',
      help: 'Sends whose history came from the in-process cache and the database confirmed its version (hit), was read from the database before inference started (miss), or was guessed but changed by another writer, so inference was started again (stale).',
      labelNames: ['result'],
    }),
    writeBatchSize: metrics.histogram<'operation'>({
      name: 'chat_db_write_batch_size',
      help: 'Writes per database statement (group commit): one under light load, more when sends and answers arrive while earlier statements are in flight; by operation (save_user, save_answer).',
      labelNames: ['operation'],
      buckets: [1, 2, 4, 8, 16, 32, 64, 100],
    }),
    answers: metrics.counter<'surface' | 'outcome' | 'reason' | 'client'>({
      name: 'chat_answers_total',
      help: 'Answers by how they ended (complete, incomplete, error, stopped, not_saved, refused), a bounded reason code, the surface (chat, api) and whether the client was still connected at the end (connected, gone). The answer-success SLI.',
      labelNames: ['surface', 'outcome', 'reason', 'client'],
    }),
    answerTimeToFirstToken: metrics.histogram<'surface'>({
      name: 'chat_answer_time_to_first_token_seconds',
      help: 'Seconds from a send reaching chat-api to the answer\'s first token leaving it (user-perceived time to first token), by surface. The TTFT SLI.',
      labelNames: ['surface'],
      buckets: ANSWER_TTFT_BUCKETS,
    }),
    upstreamErrors: metrics.counter<'upstream' | 'reason'>({
      name: 'chat_upstream_errors_total',
      help: 'Failed calls to auth or inference, by reason (connect, timeout, status_5xx, status_4xx, stream_error, over_capacity).',
      labelNames: ['upstream', 'reason'],
    }),
  };
}

/** The chat-api's metric families. */
export type ChatMetrics = ReturnType<typeof createChatMetrics>;
