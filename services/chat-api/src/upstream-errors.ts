import { networkFailure } from '@samosachaat/service-kit';
import type { UpstreamFailure } from './metrics.js';

export { describeNetworkError } from '@samosachaat/service-kit';

/**
 * Classifies a failed call to another service (fetch or undici) into the bounded reasons of
 * `chat_upstream_errors_total`.
 */
export function failureReason(err: unknown): UpstreamFailure {
  return networkFailure(err);
}

/** The reason for an HTTP status an upstream answered with. */
export function statusReason(status: number): UpstreamFailure {
  return status >= 500 ? 'status_5xx' : 'status_4xx';
}
