import { isHousekeepingRoute } from '@samosachaat/observability';
import { addBucket, bucketDelta, histogramQuantile, type Buckets } from './histogram.js';
import type { Sample } from './prom-text.js';

/** What one scrape of one service's /metrics holds, reduced to what the console shows. */
export interface ServiceSnapshot {
  /** Completed requests (http_requests_total), housekeeping routes excluded. */
  requests: number;
  /** Of which answered 5xx. */
  errors: number;
  /** http_request_duration_seconds buckets, summed over the routes counted. */
  latency: Buckets;
  /** inference_time_to_first_token_seconds buckets (inference only). */
  ttft: Buckets;
  /** inference_generated_tokens_total. */
  tokens: number;
  activeGenerations: number | undefined;
  queueDepth: number | undefined;
  activeStreams: number | undefined;
}

/** One scrape round: every service, `undefined` for those that did not answer. */
export interface Scrape {
  at: number;
  services: Record<string, ServiceSnapshot | undefined>;
}

/** The figures of one service over an interval. */
export interface ServiceFigures {
  up: boolean;
  /** Requests per second; null until two scrapes exist or while down. */
  request_rate: number | null;
  /** Share of requests answered 5xx (0..1); null when there were no requests. */
  error_rate: number | null;
  /** 95th percentile latency in ms (time to first byte for streams); null with no requests. */
  p95_ms: number | null;
}

/** Everything the console shows for one interval. */
export interface Figures {
  services: Record<string, ServiceFigures>;
  inference: { ttft_p95_ms: number | null; tokens_per_s: number | null; active_generations: number | null; queue_depth: number | null };
  chat: { active_streams: number | null };
}

// Requests of the platform looking at itself (probes, scrapes, the console's polling) are not counted.
function counted(route: string | undefined): boolean {
  return route !== undefined && !isHousekeepingRoute(route);
}

function le(labels: Record<string, string>): number {
  return labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
}

/** Reduces a parsed /metrics answer to a snapshot. */
export function snapshotOf(samples: readonly Sample[]): ServiceSnapshot {
  const snap: ServiceSnapshot = { requests: 0, errors: 0, latency: new Map(), ttft: new Map(), tokens: 0, activeGenerations: undefined, queueDepth: undefined, activeStreams: undefined };
  for (const { name, labels, value } of samples) {
    switch (name) {
      case 'http_requests_total':
        if (!counted(labels.route)) break;
        snap.requests += value;
        if (labels.status?.startsWith('5')) snap.errors += value;
        break;
      case 'http_request_duration_seconds_bucket':
        if (counted(labels.route)) addBucket(snap.latency, le(labels), value);
        break;
      case 'inference_time_to_first_token_seconds_bucket':
        addBucket(snap.ttft, le(labels), value);
        break;
      case 'inference_generated_tokens_total':
        snap.tokens += value;
        break;
      case 'inference_active_generations':
        snap.activeGenerations = value;
        break;
      case 'inference_queue_depth':
        snap.queueDepth = value;
        break;
      case 'chat_active_streams':
        snap.activeStreams = value;
        break;
    }
  }
  return snap;
}

function increase(earlier: number, later: number): number {
  // A counter that went down was reset (the service restarted): count from zero.
  return later >= earlier ? later - earlier : later;
}

function ms(seconds: number | undefined): number | null {
  return seconds === undefined ? null : Math.round(seconds * 1000 * 10) / 10;
}

function round(n: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(n * f) / f;
}

/**
 * The figures between two scrapes: request and error rates from the counters' increase,
 * p95 latency and time to first token from the histograms' increase, tokens per second, and
 * the gauges as `later` saw them. With no `earlier`, only `up` and the gauges are known.
 */
export function figuresBetween(earlier: Scrape | undefined, later: Scrape, serviceNames: readonly string[]): Figures {
  const seconds = earlier ? (later.at - earlier.at) / 1000 : 0;
  const services: Record<string, ServiceFigures> = {};
  for (const name of serviceNames) {
    const now = later.services[name];
    const before = earlier?.services[name];
    if (!now || !before || seconds <= 0) {
      services[name] = { up: now !== undefined, request_rate: null, error_rate: null, p95_ms: null };
      continue;
    }
    const requests = increase(before.requests, now.requests);
    const errors = increase(before.errors, now.errors);
    services[name] = {
      up: true,
      request_rate: round(requests / seconds),
      error_rate: requests > 0 ? round(Math.min(1, errors / requests), 4) : null,
      p95_ms: ms(histogramQuantile(0.95, bucketDelta(before.latency, now.latency))),
    };
  }
  const inf = later.services['inference'];
  const infBefore = earlier?.services['inference'];
  const both = inf && infBefore && seconds > 0;
  return {
    services,
    inference: {
      ttft_p95_ms: both ? ms(histogramQuantile(0.95, bucketDelta(infBefore.ttft, inf.ttft))) : null,
      tokens_per_s: both ? round(increase(infBefore.tokens, inf.tokens) / seconds) : null,
      active_generations: inf?.activeGenerations ?? null,
      queue_depth: inf?.queueDepth ?? null,
    },
    chat: { active_streams: later.services['chat-api']?.activeStreams ?? null },
  };
}

/** One point of the sparklines: the figures flattened to `<service>.<figure>` keys. */
export type HistoryPoint = { at: string } & Record<string, number | boolean | null | string>;

/** Flattens figures: `chat-api.request_rate`, `inference.ttft_p95_ms`, `chat.active_streams`… */
export function flatten(at: number, figures: Figures): HistoryPoint {
  const point: HistoryPoint = { at: new Date(at).toISOString() };
  for (const [service, f] of Object.entries(figures.services)) {
    for (const [key, value] of Object.entries(f)) point[`${service}.${key}`] = value;
  }
  for (const [key, value] of Object.entries(figures.inference)) point[`inference.${key}`] = value;
  point['chat.active_streams'] = figures.chat.active_streams;
  return point;
}
