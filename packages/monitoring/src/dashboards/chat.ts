/**
 * chat: the conversation path — open answer streams, persisted messages, client
 * disconnects, stream outcomes, the auth cache, upstream failures — and the auth service's
 * logins, refreshes, token validations and rate limiting.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildDashboard } from './layout.js';
import { gaugePanel, statPanel, STEPS, timeseriesPanel } from './panels.js';
import { orZero, quantile, rate, sel, sumRate } from './promql.js';
import { prometheusDatasourceVariable, serviceVariable } from './variables.js';

/** Builds the chat dashboard. */
export function chatDashboard(): Dashboard {
  const cacheHitRatio = `sum(${rate(sel('chat_auth_cache_requests_total', 'result="hit"'))}) / sum(${rate(sel('chat_auth_cache_requests_total'))})`;
  // Upstream errors are labelled counters that appear with the first failure; on a healthy
  // platform the panel shows a 0 line per chat-api instead of "No data".
  const upstreamErrors = orZero(sumRate('chat_upstream_errors_total', ['service', 'upstream', 'reason']), sel('chat_active_streams'));
  return buildDashboard({
    uid: 'samosachaat-chat',
    title: 'samosaChaat / Chat',
    description: 'Answer streams, persisted messages, upstream failures and authentication.',
    tags: ['chat', 'auth'],
    // auth_* and chat_* live on different services: the selector lists every HTTP service.
    variables: [prometheusDatasourceVariable(), serviceVariable('http_requests_total')],
    rows: [
      {
        // The answer SLOs (docs/slos.md): read from the recording rules slo.ts generates.
        title: 'Answer SLOs',
        panels: [
          gaugePanel({
            title: 'Answer success (5 m)',
            description: 'Share of answers that completed and were stored, of those the user did not stop, over 5 minutes. SLO: 99 % over 30 days; AnswerSuccessBudgetBurn pages on a fast burn.',
            unit: 'percentunit', min: 0, max: 1, decimals: 2,
            thresholds: STEPS.higherIsBetter(0.95, 0.99),
            queries: [{ expr: `1 - max(${sel('slo:sli_error:ratio_rate5m', 'slo="answer-success"')})`, instant: true }],
          }),
          gaugePanel({
            title: 'First token within 2.5 s (5 m)',
            description: 'Share of answers whose first token left chat-api within 2.5 s of the send. SLO: 95 % over 30 days; AnswerLatencyBudgetBurn pages on a fast burn.',
            unit: 'percentunit', min: 0, max: 1, decimals: 2,
            thresholds: STEPS.higherIsBetter(0.9, 0.95),
            queries: [{ expr: `1 - max(${sel('slo:sli_error:ratio_rate5m', 'slo="answer-ttft"')})`, instant: true }],
          }),
          statPanel({
            title: 'Error budget left (30 d)',
            description: 'Share of each SLO\'s 30-day error budget not yet spent (below 0: overspent).',
            unit: 'percentunit',
            thresholds: STEPS.higherIsBetter(0.25, 0.5),
            queries: [{ expr: `min by (slo) (${sel('slo:period_error_budget_remaining:ratio')})`, instant: true, legend: '{{slo}}' }],
          }),
          timeseriesPanel({
            title: 'Failed answers by reason',
            description: 'Answers that did not complete per second, by outcome (error, incomplete, not_saved, refused) and reason. Stopped answers are left out.',
            unit: 'ops', min: 0, stacked: true,
            queries: [{ expr: orZero(sumRate('chat_answers_total', ['service', 'outcome', 'reason'], 'outcome!~"complete|stopped"'), sel('chat_active_streams')), legend: '{{outcome}} {{reason}}' }],
          }),
          timeseriesPanel({
            title: 'Burn rate',
            description: 'How many times faster than "exactly on budget" each SLO\'s budget burns (5-minute window); 14.4 over an hour pages.',
            unit: 'short', min: 0,
            queries: [{ expr: sel('slo:current_burn_rate:ratio'), legend: '{{slo}}' }],
          }),
          timeseriesPanel({
            title: 'Time to first token p95 (user-perceived)',
            description: 'p95 of the time from a send reaching chat-api to its first token leaving it, by surface.',
            unit: 's', min: 0,
            thresholds: STEPS.lowerIsBetter(1, 2.5),
            queries: [{ expr: quantile(0.95, 'chat_answer_time_to_first_token_seconds', ['surface']), legend: '{{surface}}' }],
          }),
        ],
      },
      {
        title: 'Streams',
        panels: [
          statPanel({
            title: 'Active streams',
            description: 'Answer streams (SSE) open between chat-api and inference right now.',
            unit: 'short',
            thresholds: STEPS.lowerIsBetter(100, 500),
            queries: [{ expr: `sum(${sel('chat_active_streams')})`, instant: true }],
          }),
          gaugePanel({
            title: 'Auth cache hit ratio',
            description: 'Token validations answered from chat-api\'s in-process cache instead of asking auth.',
            unit: 'percentunit', min: 0, max: 1,
            thresholds: STEPS.higherIsBetter(0.5, 0.8),
            queries: [{ expr: cacheHitRatio, instant: true }],
          }),
          statPanel({
            title: 'Stream buffer',
            description: 'Bytes of answers held in chat-api memory for slow clients (bounded by backpressure).',
            unit: 'bytes',
            thresholds: STEPS.lowerIsBetter(8 * 1024 * 1024, 64 * 1024 * 1024),
            queries: [{ expr: `sum(${sel('chat_stream_buffered_bytes')})`, instant: true }],
          }),
          statPanel({
            title: 'Client disconnects (1h)',
            description: 'Clients that left while their answer was streaming, over the last hour (answers are still persisted).',
            unit: 'short',
            thresholds: STEPS.lowerIsBetter(10, 100),
            queries: [{ expr: `sum(increase(${sel('chat_client_disconnects_total')}[1h]))`, instant: true }],
          }),
        ],
      },
      {
        title: 'Conversations',
        panels: [
          timeseriesPanel({
            title: 'Active streams',
            description: 'Open answer streams per chat-api instance.',
            unit: 'short', min: 0,
            queries: [{ expr: `sum by (service, instance) (${sel('chat_active_streams')})`, legend: '{{instance}}' }],
          }),
          timeseriesPanel({
            title: 'Messages persisted',
            description: 'Messages written per second by role and outcome (complete, incomplete, error).',
            unit: 'ops', min: 0, stacked: true,
            queries: [{ expr: sumRate('chat_messages_persisted_total', ['role', 'outcome']), legend: '{{role}} {{outcome}}' }],
          }),
          timeseriesPanel({
            title: 'Client disconnects',
            description: 'Clients leaving mid-stream per second.',
            unit: 'ops', min: 0,
            queries: [{ expr: sumRate('chat_client_disconnects_total', ['service']), legend: '{{service}}' }],
          }),
          timeseriesPanel({
            title: 'Stream duration p95 by outcome',
            description: 'p95 whole answer stream duration by outcome (complete, incomplete, error, client_disconnected).',
            unit: 's', min: 0,
            queries: [{ expr: quantile(0.95, 'chat_stream_duration_seconds', ['outcome']), legend: '{{outcome}}' }],
          }),
          timeseriesPanel({
            title: 'Auth cache hit ratio',
            description: 'Share of token validations answered from the cache.',
            unit: 'percentunit', min: 0, max: 1,
            queries: [{ expr: cacheHitRatio, legend: 'hit ratio' }],
          }),
          timeseriesPanel({
            title: 'Upstream errors by reason',
            description: 'Failed calls from chat-api to auth or inference per second, by upstream and reason.',
            unit: 'ops', min: 0,
            queries: [{ expr: upstreamErrors, legend: '{{upstream}} {{reason}}' }],
          }),
        ],
      },
      {
        title: 'Authentication',
        panels: [
          timeseriesPanel({
            title: 'Logins',
            description: 'Completed login attempts per second by provider and outcome (success, failure, denied).',
            unit: 'ops', min: 0,
            queries: [{ expr: sumRate('auth_logins_total', ['provider', 'outcome']), legend: '{{provider}} {{outcome}}' }],
          }),
          timeseriesPanel({
            title: 'Token refreshes',
            description: 'Refresh-token presentations per second by outcome; "reused" means theft detection revoked a token family.',
            unit: 'ops', min: 0,
            queries: [{ expr: sumRate('auth_refresh_total', ['outcome']), legend: '{{outcome}}' }],
          }),
          timeseriesPanel({
            title: 'Token validations',
            description: 'Access tokens and API keys checked per second by outcome (valid, invalid, expired).',
            unit: 'ops', min: 0,
            queries: [{ expr: sumRate('auth_token_validations_total', ['outcome']), legend: '{{outcome}}' }],
          }),
          timeseriesPanel({
            title: 'Rate-limited login attempts',
            description: 'Login attempts refused with 429 per second, by endpoint.',
            unit: 'ops', min: 0,
            queries: [{ expr: sumRate('auth_rate_limited_total', ['endpoint']), legend: '{{endpoint}}' }],
          }),
        ],
      },
    ],
  });
}
