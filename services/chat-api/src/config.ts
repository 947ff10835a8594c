import { databaseConfigFromEnv } from '@samosachaat/db/config';
import { envBaseUrl, envBoolean, envInteger, envInternalApiKey, serverTimeoutsFromEnv, type ServerTimeouts } from '@samosachaat/service-kit';

type Env = Record<string, string | undefined>;

/** Where the database lives, as `@samosachaat/db` reads it (DATABASE_URL, DATA_DIR, MIGRATE_ON_START). */
export interface ChatDatabaseConfig {
  readonly url?: string;
  readonly dataDir: string;
  readonly migrateOnStart: boolean;
  /** DATABASE_QUERY_TIMEOUT_MS: the client-side deadline of every database call (default 5000). */
  readonly queryTimeoutMs?: number;
}

/** The chat-api's settings, validated once at start and frozen. */
export interface ChatConfig {
  readonly host: string;
  readonly port: number;
  /** SAMOSACHAAT_LOCAL: embedded local mode (`/debug/traces` open). */
  readonly localMode: boolean;
  /** Base URL of the auth service (no trailing slash). */
  readonly authUrl: string;
  /** Base URL of the inference service (no trailing slash). */
  readonly inferenceUrl: string;
  readonly internalApiKey: string;
  /** Most messages sent to inference as history, the new one included. */
  readonly maxConversationHistory: number;
  /** Most estimated tokens of history sent to inference (the new message is always sent). */
  readonly maxTokenBudget: number;
  /** Longest accepted user message, in characters. */
  readonly maxMessageChars: number;
  /** Simultaneous answer streams one user may hold, over every replica sharing the database (chat UI and /v1 together). */
  readonly maxStreamsPerUser: number;
  /** How long a validated token is trusted without asking auth again (0 = never cached). */
  readonly authCacheTtlSeconds: number;
  /** Most validated tokens kept (least recently used evicted first). */
  readonly authCacheSize: number;
  /** Time budget of one `POST /auth/validate`. */
  readonly authTimeoutMs: number;
  /** Time inference may take to answer with headers (it may queue the request first). */
  readonly inferenceHeadersTimeoutMs: number;
  /** Longest silence allowed between two chunks of an answer stream. */
  readonly inferenceIdleTimeoutMs: number;
  /**
   * Characters of an answer held in memory before they are written to the database: a long
   * answer (or one whose reader stopped reading) is stored as it streams, so memory per stream
   * stays bounded whatever the answer's length.
   */
  readonly answerFlushChars: number;
  /**
   * Characters of recent conversation history kept in memory, so a send can start inference
   * without reading the database first (0 = off: one round trip before every answer).
   */
  readonly historyCacheChars: number;
  /** HTTP_HEADERS_TIMEOUT_MS, HTTP_REQUEST_TIMEOUT_MS, HTTP_KEEP_ALIVE_TIMEOUT_MS (answer streams are never cut by them). */
  readonly serverTimeouts: ServerTimeouts;
  /**
   * How long the save of a finished answer is retried while the database is unavailable,
   * the stream kept open, before the client is told `answer_not_saved`.
   */
  readonly answerSaveDeadlineMs: number;
  /**
   * ANSWER_FIRST_TOKEN_TIMEOUT_MS: the longest a send waits for inference's first token before
   * it is answered 504 (no response headers are sent before it; README "Error contract").
   */
  readonly answerFirstTokenTimeoutMs: number;
  /** The longest a streamed token waits before it is written to the database as a part. */
  readonly answerFlushIntervalMs: number;
  /**
   * How long this instance's lease lives without a heartbeat: past it, any instance marks the
   * answers it was streaming `incomplete` with reason `interrupted`.
   */
  readonly answerLeaseMs: number;
  /** How often this instance looks for stop requests (from any replica) for its answers in flight. */
  readonly answerStopPollMs: number;
  /** How often the per-key usage of the OpenAI-compatible API is written (one statement per flush). */
  readonly apiUsageFlushMs: number;
  /** `/v1` requests per user and minute, over every replica sharing the database; 0 = no limit. */
  readonly apiRateLimitPerMinute: number;
  readonly database: ChatDatabaseConfig;
}

/** The embedded local defaults. */
export const CHAT_DEFAULTS = Object.freeze({
  host: '127.0.0.1',
  port: 8002,
  authUrl: 'http://127.0.0.1:8001',
  inferenceUrl: 'http://127.0.0.1:8003',
  maxConversationHistory: 50,
  maxTokenBudget: 6000,
  maxMessageChars: 16_000,
  maxStreamsPerUser: 3,
  authCacheTtlSeconds: 300,
  authCacheSize: 1024,
  authTimeoutMs: 2000,
  inferenceHeadersTimeoutMs: 30_000,
  inferenceIdleTimeoutMs: 60_000,
  answerFlushChars: 65_536,
  historyCacheChars: 16_777_216,
  answerSaveDeadlineMs: 30_000,
  answerFirstTokenTimeoutMs: 60_000,
  answerFlushIntervalMs: 1000,
  answerLeaseMs: 30_000,
  answerStopPollMs: 500,
  apiUsageFlushMs: 5000,
  apiRateLimitPerMinute: 60,
});


/**
 * Reads and validates every variable the chat-api uses; throws a `ConfigError` naming the
 * first bad one. Database variables are read by `@samosachaat/db` (`databaseConfigFromEnv`).
 */
export function configFromEnv(env: Env = process.env): ChatConfig {
  const d = CHAT_DEFAULTS;
  const database = databaseConfigFromEnv(env);
  return Object.freeze({
    host: env.HOST?.trim() || d.host,
    port: envInteger(env, 'PORT', d.port, 0, 65_535),
    localMode: envBoolean(env, 'SAMOSACHAAT_LOCAL', false),
    authUrl: envBaseUrl(env, 'AUTH_URL', d.authUrl),
    inferenceUrl: envBaseUrl(env, 'INFERENCE_URL', d.inferenceUrl),
    internalApiKey: envInternalApiKey(env, 'the service-to-service key shared with auth and inference'),
    maxConversationHistory: envInteger(env, 'MAX_CONVERSATION_HISTORY', d.maxConversationHistory, 1, 1000),
    maxTokenBudget: envInteger(env, 'MAX_TOKEN_BUDGET', d.maxTokenBudget, 1, 10_000_000),
    maxMessageChars: envInteger(env, 'MAX_MESSAGE_CHARS', d.maxMessageChars, 1, 1_000_000),
    maxStreamsPerUser: envInteger(env, 'MAX_STREAMS_PER_USER', d.maxStreamsPerUser, 1, 1000),
    authCacheTtlSeconds: envInteger(env, 'AUTH_CACHE_TTL_SECONDS', d.authCacheTtlSeconds, 0, 86_400),
    authCacheSize: envInteger(env, 'AUTH_CACHE_SIZE', d.authCacheSize, 0, 1_000_000),
    authTimeoutMs: envInteger(env, 'AUTH_TIMEOUT_MS', d.authTimeoutMs, 100, 60_000),
    inferenceHeadersTimeoutMs: envInteger(env, 'INFERENCE_HEADERS_TIMEOUT_MS', d.inferenceHeadersTimeoutMs, 100, 600_000),
    inferenceIdleTimeoutMs: envInteger(env, 'INFERENCE_IDLE_TIMEOUT_MS', d.inferenceIdleTimeoutMs, 100, 3_600_000),
    answerFlushChars: envInteger(env, 'ANSWER_FLUSH_CHARS', d.answerFlushChars, 1024, 16_777_216),
    historyCacheChars: envInteger(env, 'HISTORY_CACHE_CHARS', d.historyCacheChars, 0, 1_073_741_824),
    serverTimeouts: serverTimeoutsFromEnv(env),
    answerSaveDeadlineMs: envInteger(env, 'ANSWER_SAVE_DEADLINE_MS', d.answerSaveDeadlineMs, 0, 600_000),
    answerFirstTokenTimeoutMs: envInteger(env, 'ANSWER_FIRST_TOKEN_TIMEOUT_MS', d.answerFirstTokenTimeoutMs, 1000, 3_600_000),
    answerFlushIntervalMs: envInteger(env, 'ANSWER_FLUSH_INTERVAL_MS', d.answerFlushIntervalMs, 50, 60_000),
    answerLeaseMs: envInteger(env, 'ANSWER_LEASE_MS', d.answerLeaseMs, 300, 600_000),
    answerStopPollMs: envInteger(env, 'ANSWER_STOP_POLL_MS', d.answerStopPollMs, 20, 10_000),
    apiUsageFlushMs: envInteger(env, 'API_USAGE_FLUSH_MS', d.apiUsageFlushMs, 100, 3_600_000),
    apiRateLimitPerMinute: envInteger(env, 'API_RATE_LIMIT_PER_MINUTE', d.apiRateLimitPerMinute, 0, 1_000_000),
    database: Object.freeze({ ...database }),
  });
}
