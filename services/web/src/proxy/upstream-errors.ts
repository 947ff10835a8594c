import type { Logger } from '@samosachaat/observability';
import { AppError, describeError, setRetryAfter, type NetworkFailure } from '@samosachaat/service-kit';
import type { FastifyInstance } from 'fastify';
import { WEB_ERRORS } from '../errors.js';

/** Why a call to another service failed, in a few bounded words (log field `reason`). */
export type FailureReason = NetworkFailure;

export { describeNetworkError, networkFailure as failureReason } from '@samosachaat/service-kit';

const RETRY_AFTER_SECONDS = 2;

/** The answer a browser gets when `upstream` could not be reached or failed before answering. */
export function upstreamError(upstream: string, reason: FailureReason): AppError {
  if (reason === 'connect') {
    return WEB_ERRORS.WEB_UPSTREAM_UNAVAILABLE({ message: `${upstream} is unavailable (no connection); retry shortly`, retryAfterSeconds: RETRY_AFTER_SECONDS });
  }
  if (reason === 'timeout') return WEB_ERRORS.WEB_UPSTREAM_TIMEOUT({ message: `${upstream} did not answer in time; retry shortly` });
  return WEB_ERRORS.WEB_BAD_GATEWAY({ message: `${upstream} failed while answering` });
}

// web's codes as OpenAI clients know them (chat-api's /v1 uses the same words).
const OPENAI_CODES: Record<string, string> = {
  WEB_UPSTREAM_UNAVAILABLE: 'service_unavailable',
  WEB_UPSTREAM_TIMEOUT: 'timeout',
  WEB_BAD_GATEWAY: 'bad_gateway',
  WEB_INVALID_PATH: 'invalid_request_error',
  BODY_TOO_LARGE: 'request_too_large',
  FST_ERR_CTP_BODY_TOO_LARGE: 'request_too_large',
};

/** OpenAI's error `type` for an HTTP status (as chat-api's /v1 names them). */
function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** The body OpenAI clients read: `{"error":{"message","type","param","code"}}`. */
export function openAiErrorBody(status: number, code: string, message: string) {
  return { error: { message, type: openAiErrorType(status), param: null, code: OPENAI_CODES[code] ?? code.toLowerCase() } };
}

/**
 * Makes web's own errors under `scope` (the `/v1` proxy: chat-api unreachable, too slow, a bad
 * path, a body over the limit) answer in OpenAI's shape with the same status and Retry-After,
 * so an OpenAI SDK reads them as API errors rather than unparsable bodies.
 */
export function registerOpenAiErrorShape(scope: FastifyInstance, log: Logger): void {
  scope.setErrorHandler((err, _request, reply) => {
    const { status, code, message, internal } = describeError(err);
    if (internal && !(err instanceof AppError)) log.error({ err, status_code: status }, 'request_failed');
    else log.debug({ error_code: code, status_code: status }, 'request_rejected');
    setRetryAfter(reply, err);
    return reply.code(status).send(openAiErrorBody(status, code, message));
  });
}
