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
  /** chat_answers_total by outcome (chat-api only). */
  answers: Map<string, number>;
  /** chat_answers_total of the bad outcomes, by reason. */
  answerFailures: Map<string, number>;
  /** chat_answer_time_to_first_token_seconds buckets (chat-api only). */
  answerTtft: Buckets;
  /** dependency_up by dependency: what lies behind this service, as its last probe saw it. */
  dependencies: Map<string, boolean>;
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
  /** What lies behind the service: dependency → up (its dependency_up gauge). */
  dependencies: Record<string, boolean>;
}

/** The answer SLIs over the interval, from chat-api's chat_answers_total and TTFT histogram. */
export interface AnswerFigures {
  /** Answers ended per second (stopped ones included). */
  rate: number | null;
  /** Good answers of those the user did not stop (0..1); null with none. */
  success_ratio: number | null;
  /** How fast the 1 % error budget of the answer-success SLO burns right now (1 = on budget). */
  burn_rate: number | null;
  /** The commonest reason of the bad answers, with its share of them. */
  top_failure: string | null;
  /** p95 of user-perceived time to first token, ms. */
  ttft_p95_ms: number | null;
  /** Share of answers whose first token came within the SLO's 2.5 s (0..1). */
  ttft_within_slo: number | null;
}

/** Everything the console shows for one interval. */
export interface Figures {
  services: Record<string, ServiceFigures>;
  inference: { ttft_p95_ms: number | null; tokens_per_s: number | null; active_generations: number | null; queue_depth: number | null };
  chat: { active_streams: number | null };
  answers: AnswerFigures;
}

/** Outcomes that spend the answer-success budget (docs/slos.md); `stopped` is neither good nor bad. */
const BAD_OUTCOMES = new Set(['error', 'incomplete', 'not_saved', 'refused']);
/** The answer-ttft SLO's threshold in seconds, one of the histogram's bucket bounds. */
const TTFT_SLO_SECONDS = 2.5;
/** The answer-success SLO's error budget. */
const SUCCESS_BUDGET = 0.01;

// Requests of the platform looking at itself (probes, scrapes, the console's polling) are not counted.
function counted(route: string | undefined): boolean {
  return route !== undefined && !isHousekeepingRoute(route);
}

function le(labels: Record<string, string>): number {
  return labels.le === '+Inf' ? Number.POSITIVE_INFINITY : Number(labels.le);
}

/** Reduces a parsed /metrics answer to a snapshot. */
export function snapshotOf(samples: readonly Sample[]): ServiceSnapshot {
  const snap: ServiceSnapshot = {
    requests: 0, errors: 0, latency: new Map(), ttft: new Map(), tokens: 0, activeGenerations: undefined, queueDepth: undefined, activeStreams: undefined,
    answers: new Map(), answerFailures: new Map(), answerTtft: new Map(), dependencies: new Map(),
  };
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
      case 'chat_answers_total': {
        const outcome = labels.outcome ?? 'unknown';
        snap.answers.set(outcome, (snap.answers.get(outcome) ?? 0) + value);
        if (BAD_OUTCOMES.has(outcome)) {
          const reason = `${outcome}: ${labels.reason || 'unspecified'}`;
          snap.answerFailures.set(reason, (snap.answerFailures.get(reason) ?? 0) + value);
        }
        break;
      }
      case 'chat_answer_time_to_first_token_seconds_bucket':
        addBucket(snap.answerTtft, le(labels), value);
        break;
      case 'dependency_up':
        if (labels.dependency) snap.dependencies.set(labels.dependency, value === 1);
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
    const dependencies = Object.fromEntries(now?.dependencies ?? []);
    if (!now || !before || seconds <= 0) {
      services[name] = { up: now !== undefined, request_rate: null, error_rate: null, p95_ms: null, dependencies };
      continue;
    }
    const requests = increase(before.requests, now.requests);
    const errors = increase(before.errors, now.errors);
    services[name] = {
      up: true,
      request_rate: round(requests / seconds),
      error_rate: requests > 0 ? round(Math.min(1, errors / requests), 4) : null,
      p95_ms: ms(histogramQuantile(0.95, bucketDelta(before.latency, now.latency))),
      dependencies,
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
    answers: answerFigures(earlier?.services['chat-api'], later.services['chat-api'], seconds),
  };
}

function deltas(before: Map<string, number>, now: Map<string, number>): Map<string, number> {
  const out = new Map<string, number>();
  for (const [key, value] of now) out.set(key, increase(before.get(key) ?? 0, value));
  return out;
}

/** The answer SLIs between two scrapes of chat-api (docs/slos.md). */
export function answerFigures(before: ServiceSnapshot | undefined, now: ServiceSnapshot | undefined, seconds: number): AnswerFigures {
  const none: AnswerFigures = { rate: null, success_ratio: null, burn_rate: null, top_failure: null, ttft_p95_ms: null, ttft_within_slo: null };
  if (!before || !now || seconds <= 0) return none;
  const outcomes = deltas(before.answers, now.answers);
  let ended = 0;
  let bad = 0;
  for (const [outcome, n] of outcomes) {
    ended += n;
    if (BAD_OUTCOMES.has(outcome)) bad += n;
  }
  const counted = ended - (outcomes.get('stopped') ?? 0);
  let top: [string, number] | undefined;
  for (const entry of deltas(before.answerFailures, now.answerFailures)) if (entry[1] > 0 && (!top || entry[1] > top[1])) top = entry;
  const ttft = bucketDelta(before.answerTtft, now.answerTtft);
  const ttftCount = ttft.get(Number.POSITIVE_INFINITY) ?? 0;
  const ttftGood = ttft.get(TTFT_SLO_SECONDS);
  return {
    rate: round(ended / seconds),
    success_ratio: counted > 0 ? round(1 - bad / counted, 4) : null,
    burn_rate: counted > 0 ? round(bad / counted / SUCCESS_BUDGET, 2) : null,
    top_failure: top && bad > 0 ? `${top[0]} (${Math.round((top[1] / bad) * 100)} %)` : null,
    ttft_p95_ms: ttftCount > 0 ? ms(histogramQuantile(0.95, ttft)) : null,
    ttft_within_slo: ttftCount > 0 && ttftGood !== undefined ? round(ttftGood / ttftCount, 4) : null,
  };
}

/** One point of the sparklines: the figures flattened to `<service>.<figure>` keys. */
export type HistoryPoint = { at: string } & Record<string, number | boolean | null | string>;

/** Flattens figures: `chat-api.request_rate`, `inference.ttft_p95_ms`, `chat.active_streams`… */
export function flatten(at: number, figures: Figures): HistoryPoint {
  const point: HistoryPoint = { at: new Date(at).toISOString() };
  for (const [service, f] of Object.entries(figures.services)) {
    for (const [key, value] of Object.entries(f)) if (key !== 'dependencies') point[`${service}.${key}`] = value as number | boolean | null;
  }
  for (const [key, value] of Object.entries(figures.inference)) point[`inference.${key}`] = value;
  point['chat.active_streams'] = figures.chat.active_streams;
  for (const [key, value] of Object.entries(figures.answers)) point[`answers.${key}`] = value;
  return point;
}
