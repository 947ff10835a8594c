import type { Metrics } from './registry.js';

/** Buckets for request latency (time to first byte for streams), in seconds. */
export const HTTP_DURATION_BUCKETS = [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10];
/** Buckets for whole streams, reaching 20 minutes so long chats are still measured. */
export const HTTP_STREAM_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1200];

/** The route label of requests that matched no route. */
export const UNMATCHED_ROUTE = 'unmatched';

const KNOWN_METHODS = new Set(['GET', 'HEAD', 'POST', 'PUT', 'PATCH', 'DELETE', 'OPTIONS', 'TRACE', 'CONNECT']);

/** Keeps the `method` label bounded whatever a client sends. */
export function methodLabel(method: string): string {
  return KNOWN_METHODS.has(method) ? method : 'OTHER';
}

/** The HTTP metrics every service exposes (SPEC §4). */
export interface HttpMetrics {
  /** A request started on `route`: counts it in progress. */
  start(method: string, route: string): void;
  /**
   * A request finished. `firstByteSeconds` is set for streamed responses: it goes to
   * `http_request_duration_seconds` and the whole stream to `http_stream_duration_seconds`.
   */
  finish(method: string, route: string, status: number, durationSeconds: number, firstByteSeconds?: number): void;
}

/** Registers the HTTP metric families on `metrics`. */
export function createHttpMetrics(metrics: Metrics): HttpMetrics {
  const requests = metrics.counter({
    name: 'http_requests_total',
    help: 'HTTP requests completed, by method, route template and exact status code.',
    labelNames: ['method', 'route', 'status'] as const,
  });
  const duration = metrics.histogram({
    name: 'http_request_duration_seconds',
    help: 'HTTP request latency in seconds; for streamed responses, the time to the first byte.',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_DURATION_BUCKETS,
  });
  const streamDuration = metrics.histogram({
    name: 'http_stream_duration_seconds',
    help: 'Whole duration of streamed (SSE) HTTP responses in seconds.',
    labelNames: ['method', 'route'] as const,
    buckets: HTTP_STREAM_BUCKETS,
  });
  const inProgress = metrics.gauge({
    name: 'http_requests_in_progress',
    help: 'HTTP requests being served right now.',
    labelNames: ['method', 'route'] as const,
  });

  return {
    start(method, route) {
      inProgress.inc({ method, route });
    },
    finish(method, route, status, durationSeconds, firstByteSeconds) {
      const labels = { method, route };
      inProgress.dec(labels);
      requests.inc({ method, route, status: String(status) });
      if (firstByteSeconds === undefined) {
        duration.observe(labels, durationSeconds);
      } else {
        duration.observe(labels, firstByteSeconds);
        streamDuration.observe(labels, durationSeconds);
      }
    },
  };
}
