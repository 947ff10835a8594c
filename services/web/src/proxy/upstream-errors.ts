import type { AppError, NetworkFailure } from '@samosachaat/service-kit';
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
