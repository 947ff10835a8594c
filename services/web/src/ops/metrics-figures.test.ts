import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { figuresBetween, flatten, snapshotOf, type Scrape, type ServiceSnapshot } from './metrics-figures.js';
import { parseExposition } from './prom-text.js';

const INF = Number.POSITIVE_INFINITY;

function snap(fields: Partial<ServiceSnapshot>): ServiceSnapshot {
  return {
    requests: 0, errors: 0, latency: new Map(), ttft: new Map(), tokens: 0, activeGenerations: undefined, queueDepth: undefined, activeStreams: undefined,
    answers: new Map(), answerFailures: new Map(), answerTtft: new Map(), dependencies: new Map(), ...fields,
  };
}

describe('snapshotOf', () => {
  it('sums requests and 5xx over counted routes, and latency buckets over them; housekeeping routes are left out', () => {
    const s = snapshotOf(
      parseExposition(
        [
          'http_requests_total{route="/api/*",status="200"} 7',
          'http_requests_total{route="/api/*",status="502"} 2',
          'http_requests_total{route="/auth/*",status="500"} 1',
          'http_requests_total{route="/metrics",status="200"} 99',
          'http_requests_total{route="/ops/api/traces",status="200"} 50',
          'http_requests_total{status="200"} 5',
          'http_request_duration_seconds_bucket{route="/api/*",le="0.1"} 4',
          'http_request_duration_seconds_bucket{route="/auth/*",le="0.1"} 1',
          'http_request_duration_seconds_bucket{route="/api/*",le="+Inf"} 9',
          'http_request_duration_seconds_bucket{route="/health",le="+Inf"} 30',
          'inference_time_to_first_token_seconds_bucket{model="a",le="0.5"} 2',
          'inference_time_to_first_token_seconds_bucket{model="b",le="0.5"} 3',
          'inference_generated_tokens_total{model="a"} 10',
          'inference_generated_tokens_total{model="b"} 5',
          'inference_active_generations 4',
          'inference_queue_depth 0',
          'chat_active_streams 6',
          'nodejs_heap_size_used_bytes 123',
        ].join('\n'),
      ),
    );
    assert.equal(s.requests, 10);
    assert.equal(s.errors, 3);
    assert.deepEqual([...s.latency], [[0.1, 5], [INF, 9]]);
    assert.deepEqual([...s.ttft], [[0.5, 5]]);
    assert.equal(s.tokens, 15);
    assert.deepEqual([s.activeGenerations, s.queueDepth, s.activeStreams], [4, 0, 6]);
  });
});

describe('figuresBetween', () => {
  const names = ['web', 'chat-api', 'inference'];
  const earlier: Scrape = {
    at: 0,
    services: {
      web: snap({ requests: 100, errors: 0, latency: new Map([[0.1, 100], [INF, 100]]) }),
      'chat-api': snap({ requests: 50, errors: 5, activeStreams: 1 }),
      inference: snap({ tokens: 1000, ttft: new Map([[0.05, 0], [0.1, 10], [INF, 10]]) }),
    },
  };
  const later: Scrape = {
    at: 10_000,
    services: {
      web: snap({ requests: 150, errors: 5, latency: new Map([[0.1, 140], [INF, 150]]) }),
      'chat-api': snap({ requests: 50, errors: 5, activeStreams: 2 }),
      inference: snap({ tokens: 1500, ttft: new Map([[0.05, 0], [0.1, 30], [INF, 30]]), activeGenerations: 1, queueDepth: 3 }),
    },
  };

  it('computes rates, error shares and p95 from the increases over the interval', () => {
    const f = figuresBetween(earlier, later, names);
    assert.deepEqual([f.services.web?.up, f.services.web?.request_rate, f.services.web?.error_rate], [true, 5, 0.1]);
    // 50 new requests: 40 ≤ 100 ms, 10 above (+Inf): p95 lands in +Inf → the largest finite bound.
    assert.equal(f.services.web?.p95_ms, 100);
    // No requests in between: a rate of 0 and no error share or latency to speak of.
    assert.deepEqual(f.services['chat-api'], { up: true, request_rate: 0, error_rate: null, p95_ms: null, dependencies: {} });
    assert.equal(f.inference.tokens_per_s, 50);
    // 20 new first tokens, all in (50 ms, 100 ms]: p95 = 50 + 50 × 0.95.
    assert.equal(f.inference.ttft_p95_ms, 97.5);
    assert.equal(f.inference.active_generations, 1);
    assert.equal(f.inference.queue_depth, 3);
    assert.equal(f.chat.active_streams, 2);
  });

  it('restarts from zero after a counter reset, and knows nothing of a service that is down', () => {
    const restarted: Scrape = { at: 20_000, services: { web: snap({ requests: 20, errors: 0 }), inference: snap({ tokens: 100 }) } };
    const f = figuresBetween(later, restarted, names);
    assert.equal(f.services.web?.request_rate, 2);
    assert.deepEqual(f.services['chat-api'], { up: false, request_rate: null, error_rate: null, p95_ms: null, dependencies: {} });
    assert.equal(f.inference.tokens_per_s, 10);
    assert.equal(f.chat.active_streams, null);
  });

  it('with one scrape knows only who is up and the gauges', () => {
    const f = figuresBetween(undefined, later, names);
    assert.deepEqual(f.services.web, { up: true, request_rate: null, error_rate: null, p95_ms: null, dependencies: {} });
    assert.equal(f.inference.tokens_per_s, null);
    assert.equal(f.inference.queue_depth, 3);
  });

  it('flattens to <service>.<figure> keys for the sparklines', () => {
    const point = flatten(10_000, figuresBetween(earlier, later, names));
    assert.equal(point.at, '1970-01-01T00:00:10.000Z');
    assert.equal(point['web.request_rate'], 5);
    assert.equal(point['chat-api.up'], true);
    assert.equal(point['inference.tokens_per_s'], 50);
    assert.equal(point['chat.active_streams'], 2);
  });
});

describe('answer figures', () => {
  const chatApi = (text: string[]) => snapshotOf(parseExposition(text.join('\n')));
  it('reads the answer SLIs between two scrapes: success of answers not stopped, burn rate, the top failure, TTFT', () => {
    const before = chatApi([
      'chat_answers_total{surface="chat",outcome="complete",client="connected"} 100',
      'chat_answers_total{surface="chat",outcome="stopped",reason="user",client="connected"} 5',
      'chat_answer_time_to_first_token_seconds_bucket{surface="chat",le="0.5"} 90',
      'chat_answer_time_to_first_token_seconds_bucket{surface="chat",le="2.5"} 100',
      'chat_answer_time_to_first_token_seconds_bucket{surface="chat",le="+Inf"} 100',
      'dependency_up{dependency="inference"} 0',
      'dependency_up{dependency="auth"} 1',
    ]);
    const now = chatApi([
      'chat_answers_total{surface="chat",outcome="complete",client="connected"} 190',
      'chat_answers_total{surface="chat",outcome="stopped",reason="user",client="connected"} 25',
      'chat_answers_total{surface="chat",outcome="refused",reason="inference_unreachable",client="connected"} 6',
      'chat_answers_total{surface="api",outcome="error",reason="upstream_refused",client="gone"} 4',
      'chat_answer_time_to_first_token_seconds_bucket{surface="chat",le="0.5"} 170',
      'chat_answer_time_to_first_token_seconds_bucket{surface="chat",le="2.5"} 185',
      'chat_answer_time_to_first_token_seconds_bucket{surface="chat",le="+Inf"} 200',
      'dependency_up{dependency="inference"} 0',
      'dependency_up{dependency="auth"} 1',
    ]);
    const later: Scrape = { at: 10_000, services: { 'chat-api': now } };
    const figures = figuresBetween({ at: 0, services: { 'chat-api': before } }, later, ['chat-api']);
    // 90 complete + 10 bad of 100 not stopped (20 stopped are left out); 10 % bad = 10x the 1 % budget.
    assert.deepEqual(figures.answers, { rate: 12, success_ratio: 0.9, burn_rate: 10, top_failure: 'refused: inference_unreachable (60 %)', ttft_p95_ms: figures.answers.ttft_p95_ms, ttft_within_slo: 0.85 });
    assert.equal(figures.answers.ttft_p95_ms, 2500, "a rank past the last finite bucket reads as that bound, as in PromQL");
    assert.deepEqual(figures.services['chat-api']?.dependencies, { inference: false, auth: true });
    const point = flatten(later.at, figures);
    assert.equal(point['answers.success_ratio'], 0.9);
    assert.equal(point['chat-api.dependencies'], undefined);
  });

  it('is unknown until answers exist', () => {
    const empty = chatApi([]);
    const figures = figuresBetween({ at: 0, services: { 'chat-api': empty } }, { at: 5000, services: { 'chat-api': empty } }, ['chat-api']);
    assert.deepEqual(figures.answers, { rate: 0, success_ratio: null, burn_rate: null, top_failure: null, ttft_p95_ms: null, ttft_within_slo: null });
  });
});
