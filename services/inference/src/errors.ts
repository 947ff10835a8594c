import { AppError, defineErrors } from '@samosachaat/service-kit';

/**
 * Every error the inference service answers on purpose: code, HTTP status and default
 * message. On `/generate` and the other native routes they travel in the
 * `{"error":{"code","message","trace_id"}}` envelope; on `/v1/*` in OpenAI's shape.
 * Handlers throw its factories directly: `throw INFERENCE_ERRORS.INFERENCE_NO_MODEL('…')`, with a more
 * precise message (`{ message }` or a string) and, on a 429/503, `retryAfterSeconds` (`Retry-After`).
 */
export const INFERENCE_ERRORS = defineErrors({
  INFERENCE_UNAUTHORIZED: { status: 401, message: 'missing or wrong X-Internal-API-Key' },
  INFERENCE_INVALID_REQUEST: { status: 400, message: 'the request body is invalid' },
  INFERENCE_MODEL_NOT_FOUND: { status: 404, message: 'unknown model' },
  INFERENCE_MODEL_NOT_LOADED: { status: 409, message: 'the requested model is not the loaded one' },
  INFERENCE_SWAP_IN_PROGRESS: { status: 409, message: 'a model swap is already in progress' },
  INFERENCE_MODEL_LOAD_FAILED: { status: 502, message: 'loading the model failed' },
  INFERENCE_GENERATION_FAILED: { status: 502, message: 'the generation failed' },
  INFERENCE_GENERATION_TIMEOUT: { status: 504, message: 'the generation timed out' },
  INFERENCE_UPSTREAM_UNAVAILABLE: { status: 503, message: 'the model server is unreachable or failing' },
  INFERENCE_UPSTREAM_RATE_LIMITED: { status: 503, message: 'the model server is rate-limiting requests' },
  INFERENCE_UPSTREAM_REFUSED: { status: 502, message: 'the model server refused the request (API key or model)' },
  INFERENCE_NO_MODEL: { status: 503, message: 'no model is loaded' },
  INFERENCE_OVER_CAPACITY: { status: 503, message: 'every worker is busy and the queue is full' },
  INFERENCE_SHUTTING_DOWN: { status: 503, message: 'the inference service is shutting down' },
}, { exposeServerErrors: true });

/** A code of {@link INFERENCE_ERRORS}. */
export type InferenceErrorCode = keyof typeof INFERENCE_ERRORS;

/** Over capacity, refused by the worker pool, with the seconds the client should wait (`Retry-After`). */
export class OverCapacityError extends AppError {
  constructor(retryAfterSeconds: number, message: string) {
    super('INFERENCE_OVER_CAPACITY', message, INFERENCE_ERRORS.INFERENCE_OVER_CAPACITY.status, true, retryAfterSeconds);
    this.name = 'OverCapacityError';
  }
}
