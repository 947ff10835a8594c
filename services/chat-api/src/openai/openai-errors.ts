import { type Logger } from '@samosachaat/observability';
import { AppError, describeError, setRetryAfter } from '@samosachaat/service-kit';
import type { FastifyInstance } from 'fastify';

/** OpenAI's error `type` for an HTTP status. */
export function openAiErrorType(status: number): string {
  if (status === 401) return 'authentication_error';
  if (status === 403) return 'permission_error';
  if (status === 404) return 'not_found_error';
  if (status === 429) return 'rate_limit_error';
  if (status >= 500) return 'server_error';
  return 'invalid_request_error';
}

/** An error of the OpenAI-compatible API: OpenAI's `code` (`model_not_found`, …) and the parameter at fault. */
export class OpenAiError extends AppError {
  readonly param: string | null;

  constructor(status: number, code: string, message: string, param: string | null = null, options: { retryAfterSeconds?: number } = {}) {
    super(code, message, status, true, options.retryAfterSeconds);
    this.name = 'OpenAiError';
    this.param = param;
  }
}

/** A 400 naming the parameter that is wrong or cannot be honoured. */
export function invalidParam(param: string, message: string, code = 'invalid_value'): OpenAiError {
  return new OpenAiError(400, code, message, param);
}

/** A parameter this API does not honour: a 400 naming it, never a silent drop (README "Use the API"). */
export function unsupportedParam(param: string, why: string): OpenAiError {
  return new OpenAiError(400, 'unsupported_parameter', `${param} is not supported: ${why}`, param);
}

/** The body OpenAI clients read: `{"error":{"message","type","param","code"}}`. */
export function openAiErrorBody(status: number, code: string, message: string, param: string | null = null) {
  return { error: { message, type: openAiErrorType(status), param, code } };
}

// chat-api's own codes as OpenAI clients know them.
const CODE_ALIASES: Record<string, string> = {
  CHAT_UNAUTHENTICATED: 'invalid_api_key',
  CHAT_INVALID_TOKEN: 'invalid_api_key',
  CHAT_TOO_MANY_STREAMS: 'rate_limit_exceeded',
  CHAT_UNKNOWN_MODEL: 'model_not_found',
  CHAT_AUTH_UNAVAILABLE: 'service_unavailable',
  CHAT_INFERENCE_UNAVAILABLE: 'service_unavailable',
  FST_ERR_CTP_INVALID_MEDIA_TYPE: 'invalid_request_error',
  FST_ERR_CTP_EMPTY_JSON_BODY: 'invalid_request_error',
  FST_ERR_CTP_BODY_TOO_LARGE: 'request_too_large',
  FST_ERR_CTP_INVALID_JSON_BODY: 'invalid_json',
};

/**
 * Makes every error under `scope` (the `/v1` routes) answer in OpenAI's shape rather than the
 * samosaChaat envelope, `Retry-After` kept, and unknown `/v1` paths a 404 in the same shape.
 */
export function registerOpenAiErrorHandling(scope: FastifyInstance, log: Logger): void {
  scope.setErrorHandler((err, _request, reply) => {
    const { status, code, message, internal } = describeError(err);
    setRetryAfter(reply, err);
    if (status === 401) reply.header('www-authenticate', 'Bearer realm="samosachaat"');
    if (internal && !(err instanceof AppError)) log.error({ err, status_code: status }, 'request_failed');
    const param = err instanceof OpenAiError ? err.param : typeof (err as { param?: unknown }).param === 'string' ? ((err as { param: string }).param) : null;
    const validation = (err as { validation?: Array<{ instancePath?: string }> }).validation;
    const validationParam = validation?.[0]?.instancePath ? validation[0].instancePath.replace(/^\//, '').replace(/\//g, '.') : null;
    return reply.code(status).send(openAiErrorBody(status, CODE_ALIASES[code] ?? (validation ? 'invalid_type' : code), message, param ?? validationParam));
  });
  scope.setNotFoundHandler((request, reply) => {
    const path = request.url.split('?')[0] ?? request.url;
    return reply.code(404).send(openAiErrorBody(404, 'unknown_url', `unknown URL: ${request.method} ${path}; this API serves GET /v1/models, GET /v1/models/{id}, POST /v1/chat/completions and POST /v1/responses`));
  });
}
