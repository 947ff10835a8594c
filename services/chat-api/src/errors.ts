import { defineErrors } from '@samosachaat/service-kit';

/**
 * The chat-api's error registry: every code it answers with, its HTTP status and its
 * default message. All messages are written for the caller (no internal detail), so 5xx
 * ones are shown too: "auth is unavailable" is what a client needs to hear.
 * Handlers throw its factories directly: `throw CHAT_ERRORS.CHAT_FORBIDDEN()`, with a more
 * precise message (`{ message }` or a string) and, on a 429/503, `retryAfterSeconds` (`Retry-After`).
 */
export const CHAT_ERRORS = defineErrors({
  CHAT_UNAUTHENTICATED: { status: 401, message: 'missing or malformed Authorization header: expected "Bearer <access token>"' },
  CHAT_INVALID_TOKEN: { status: 401, message: 'the access token is invalid or expired' },
  CHAT_FORBIDDEN: { status: 403, message: 'this action needs an administrator' },
  CHAT_CONVERSATION_NOT_FOUND: { status: 404, message: 'conversation not found' },
  CHAT_MESSAGE_NOT_FOUND: { status: 404, message: 'message not found: no answer with this id in this conversation' },
  CHAT_INVALID_CURSOR: { status: 400, message: 'cursor is not one this API returned; start again without it' },
  CHAT_UNKNOWN_MODEL: { status: 400, message: 'the model is not one inference serves; GET /api/models lists them' },
  CHAT_NOTHING_TO_REGENERATE: { status: 409, message: 'the conversation has no user message to answer' },
  CHAT_TOO_MANY_STREAMS: { status: 429, message: 'too many answers streaming at once for this user; wait for one to finish' },
  CHAT_AUTH_UNAVAILABLE: { status: 503, message: 'the auth service is unavailable; retry shortly' },
  CHAT_INFERENCE_OVER_CAPACITY: { status: 503, message: 'inference is over capacity; retry shortly' },
  CHAT_INFERENCE_UNAVAILABLE: { status: 503, message: 'the inference service is unavailable; retry shortly' },
  // A send that fails before the first byte of its answer (README "Error contract of a send").
  CHAT_UPSTREAM_UNAVAILABLE: { status: 503, message: 'the model server behind inference is unreachable or failing; retry shortly' },
  CHAT_UPSTREAM_RATE_LIMITED: { status: 503, message: 'the model server is rate-limiting requests; retry shortly' },
  CHAT_UPSTREAM_REFUSED: { status: 502, message: 'the model server refused the request (its API key or model name is wrong); an operator must fix the inference configuration' },
  CHAT_INFERENCE_FAILED: { status: 502, message: 'inference failed before answering; retry, and if it persists see the inference logs' },
  CHAT_INFERENCE_TIMEOUT: { status: 504, message: 'inference did not start answering in time; retry shortly' },
}, { exposeServerErrors: true });

/** A code of the registry. */
export type ChatErrorCode = keyof typeof CHAT_ERRORS;

