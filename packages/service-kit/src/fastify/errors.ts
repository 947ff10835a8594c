import { redactedExcerpt } from '@samosachaat/observability';
import type { FastifyReply } from 'fastify';

/**
 * An error a service raises on purpose: a stable code (`CHAT_CONVERSATION_NOT_FOUND`), an
 * HTTP status and a message safe to show the caller. The error handler turns it into the
 * `{"error":{"code","message","trace_id"}}` envelope.
 */
export class AppError extends Error {
  constructor(
    readonly code: string,
    message: string,
    readonly statusCode: number = 500,
    /** Show `message` to the caller; 5xx messages are hidden unless this is set. */
    readonly expose: boolean = statusCode < 500,
    /** How long the caller should wait before retrying, sent as `Retry-After` ({@link setRetryAfter}); for a 429 or 503. */
    readonly retryAfterSeconds?: number,
  ) {
    super(message);
    this.name = 'AppError';
  }
}

/** One entry of a service's error registry. */
export interface ErrorDefinition {
  status: number;
  message: string;
}

/** What a thrown registry error may add to its definition. */
export interface ErrorOptions {
  /** A more precise message than the registry's. */
  message?: string;
  /** On a 429 or 503: seconds the caller should wait (`Retry-After`). */
  retryAfterSeconds?: number;
}

/** Builds the error of one code (a string argument is the message); carries its definition. */
export interface ErrorFactory {
  (options?: string | ErrorOptions): AppError;
  readonly code: string;
  readonly status: number;
  readonly message: string;
}

/**
 * A service's registry: for each code, the factory of its error, thrown directly
 * (`throw CHAT_ERRORS.CHAT_FORBIDDEN()`), which also carries the code's status and message.
 */
export type ErrorFactories<T extends Record<string, ErrorDefinition>> = {
  readonly [K in keyof T]: ErrorFactory;
};

/** Options of {@link defineErrors}. */
export interface ErrorRegistryOptions {
  /**
   * Every message of the registry is written for the caller, so 5xx messages are shown too
   * ("the auth service is unavailable; retry shortly"). Default false: only 4xx messages are
   * shown, a 5xx answers "internal server error".
   */
  exposeServerErrors?: boolean;
}

const CODE_SHAPE = /^[A-Z][A-Z0-9]*(?:_[A-Z0-9]+)*$/;

/**
 * Declares a service's error registry: one place for codes, statuses and messages, whose
 * factories the service throws directly. Throws on a malformed code or a status outside
 * 400–599, at start, not on first use.
 */
export function defineErrors<T extends Record<string, ErrorDefinition>>(definitions: T, options: ErrorRegistryOptions = {}): ErrorFactories<T> {
  const out: Record<string, ErrorFactory> = {};
  for (const [code, def] of Object.entries(definitions)) {
    if (!CODE_SHAPE.test(code)) throw new Error(`error code "${code}" must be UPPER_SNAKE_CASE`);
    if (!Number.isInteger(def.status) || def.status < 400 || def.status > 599) throw new Error(`error code "${code}" has status ${def.status}; it must be 400-599`);
    const expose = def.status < 500 || options.exposeServerErrors === true;
    const factory = (arg?: string | ErrorOptions): AppError => {
      const { message, retryAfterSeconds } = typeof arg === 'string' ? { message: arg, retryAfterSeconds: undefined } : (arg ?? {});
      return new AppError(code, message ?? def.message, def.status, expose, retryAfterSeconds);
    };
    out[code] = Object.freeze(Object.assign(factory, { code, status: def.status, message: def.message }));
  }
  return Object.freeze(out) as ErrorFactories<T>;
}

/**
 * The one way an answer gets `Retry-After`: from the error's `retryAfterSeconds` (an
 * {@link AppError}'s, or any error carrying the field), rounded up to whole seconds. Registries
 * give it to their 429s and 503s (the database's unavailable error has 2 s).
 */
export function setRetryAfter(reply: FastifyReply, err: unknown): void {
  const seconds = (err as { retryAfterSeconds?: unknown } | null)?.retryAfterSeconds;
  if (typeof seconds === 'number') reply.header('retry-after', String(Math.ceil(seconds)));
}

/** The wire envelope of every error answer, built here and nowhere else. */
export interface ErrorEnvelope {
  error: { code: string; message: string; trace_id?: string };
}

/** Builds the error envelope. */
export function errorEnvelope(code: string, message: string, traceId?: string): ErrorEnvelope {
  return { error: traceId ? { code, message, trace_id: traceId } : { code, message } };
}

// Fastify's own error codes, mapped to stable public ones.
const FASTIFY_CODES: Record<string, string> = {
  FST_ERR_VALIDATION: 'VALIDATION_FAILED',
  FST_ERR_CTP_BODY_TOO_LARGE: 'BODY_TOO_LARGE',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'UNSUPPORTED_MEDIA_TYPE',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'EMPTY_BODY',
  FST_ERR_CTP_INVALID_JSON_BODY: 'INVALID_JSON',
  FST_ERR_CTP_INVALID_CONTENT_LENGTH: 'INVALID_CONTENT_LENGTH',
};

/** Status, public code and public message for any thrown value. */
export function describeError(err: unknown): { status: number; code: string; message: string; internal: boolean } {
  if (err instanceof AppError) {
    return { status: err.statusCode, code: err.code, message: err.expose ? err.message : 'internal server error', internal: err.statusCode >= 500 };
  }
  const e = err as { statusCode?: unknown; code?: unknown; message?: unknown; name?: unknown } | null;
  const status = typeof e?.statusCode === 'number' && e.statusCode >= 400 && e.statusCode <= 599 ? e.statusCode : 500;
  if (status >= 500) return { status, code: 'INTERNAL_ERROR', message: 'internal server error', internal: true };
  if (e?.name === 'SyntaxError' && status === 400) return { status, code: 'INVALID_JSON', message: 'request body is not valid JSON', internal: false };
  const fastifyCode = typeof e?.code === 'string' ? FASTIFY_CODES[e.code] : undefined;
  let message = typeof e?.message === 'string' ? e.message : 'bad request';
  // Ajv says "must NOT have additional properties" without saying which: name it.
  const extra = (err as { validation?: Array<{ keyword?: string; params?: { additionalProperty?: unknown } }> }).validation?.find((v) => v.keyword === 'additionalProperties')?.params?.additionalProperty;
  if (typeof extra === 'string' && message.includes('must NOT have additional properties')) message = message.replace('must NOT have additional properties', `must NOT have additional properties (unknown field "${redactedExcerpt(extra, 64)}")`);
  return { status, code: fastifyCode ?? 'BAD_REQUEST', message, internal: false };
}
