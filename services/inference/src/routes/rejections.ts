import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import type { InferenceMetrics } from '../metrics.js';

/**
 * A route `onError` hook that counts refused generation requests as
 * `inference_rejected_total{reason="invalid"}`: every 4xx but 401 (a caller without the
 * key is not a malformed request). Over-capacity refusals are counted where they happen.
 */
export function countInvalidRequests(metrics: InferenceMetrics) {
  return async (_request: FastifyRequest, _reply: FastifyReply, error: FastifyError): Promise<void> => {
    const status = error.statusCode ?? 500;
    if (status >= 400 && status < 500 && status !== 401) metrics.rejected.inc({ reason: 'invalid' });
  };
}
