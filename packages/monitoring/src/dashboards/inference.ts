/**
 * inference: the generation engine — time to first token, token throughput, inter-token
 * latency, generation outcomes, and saturation (queue, workers, rejections). TTFT p95 and
 * tokens/s come from the recording rules, which aggregate by model.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildDashboard } from './layout.js';
import { gaugePanel, statPanel, STEPS, tablePanel, timeseriesPanel } from './panels.js';
import { quantile, sel, sumRate } from './promql.js';
import { prometheusDatasourceVariable, serviceVariable } from './variables.js';

/** Builds the inference dashboard. */
export function inferenceDashboard(): Dashboard {
  const ttft = 'model:inference_time_to_first_token_seconds:p95_5m';
  const tokensPerSecond = 'model:inference_generated_tokens:rate5m';
  const busy = `sum(${sel('inference_workers_busy')})`;
  const total = `sum(${sel('inference_workers')})`;
  return buildDashboard({
    uid: 'samosachaat-inference',
    title: 'samosaChaat / Inference',
    description: 'Time to first token, token throughput, generation outcomes and saturation of the inference service.',
    tags: ['inference', 'llm'],
    variables: [prometheusDatasourceVariable(), serviceVariable('inference_workers')],
    rows: [
      {
        title: 'Overview',
        panels: [
          statPanel({
            title: 'TTFT p95 (worst model)',
            description: 'p95 time from a worker taking a generation to its first token, worst model (recording rule; queue wait excluded).',
            unit: 's',
            thresholds: STEPS.lowerIsBetter(1, 2),
            queries: [{ expr: `max(${ttft})`, instant: true }],
          }),
          statPanel({
            title: 'Tokens per second',
            description: 'Tokens generated and streamed per second, all models (recording rule).',
            unit: 'short',
            thresholds: STEPS.neutral,
            queries: [{ expr: `sum(${tokensPerSecond})`, instant: true }],
          }),
          gaugePanel({
            title: 'Worker saturation',
            description: 'Worker slots held by a generation out of all slots (WORKERS). At 100 % new requests queue.',
            unit: 'percentunit', min: 0, max: 1,
            thresholds: STEPS.lowerIsBetter(0.7, 0.9),
            queries: [{ expr: `${busy} / ${total}`, instant: true }],
          }),
          statPanel({
            title: 'Queue depth',
            description: 'Generation requests waiting for a worker slot right now (the queue backlog alert watches this).',
            unit: 'short',
            thresholds: STEPS.lowerIsBetter(1, 10),
            queries: [{ expr: `sum(${sel('inference_queue_depth')})`, instant: true }],
          }),
        ],
      },
      {
        title: 'Latency and throughput',
        panels: [
          timeseriesPanel({
            title: 'Time to first token p95',
            description: 'p95 TTFT by model (recording rule model:inference_time_to_first_token_seconds:p95_5m).',
            unit: 's', min: 0,
            thresholds: STEPS.lowerIsBetter(1, 2),
            queries: [{ expr: ttft, legend: '{{model}}' }],
          }),
          timeseriesPanel({
            title: 'Tokens per second',
            description: 'Generated tokens per second by model (recording rule model:inference_generated_tokens:rate5m) and prompt tokens per second.',
            unit: 'short', min: 0,
            queries: [
              { expr: tokensPerSecond, legend: 'generated {{model}}' },
              { expr: sumRate('inference_prompt_tokens_total', ['model']), legend: 'prompt {{model}}' },
            ],
          }),
          timeseriesPanel({
            title: 'Inter-token latency p95',
            description: 'p95 time between two consecutive streamed tokens, by model.',
            unit: 's', min: 0,
            queries: [{ expr: quantile(0.95, 'inference_inter_token_latency_seconds', ['model']), legend: '{{model}}' }],
          }),
          timeseriesPanel({
            title: 'Generation duration p95 by outcome',
            description: 'p95 whole generation duration by model and outcome (completed, client_disconnected, upstream_error, timeout, shutdown).',
            unit: 's', min: 0,
            queries: [{ expr: quantile(0.95, 'inference_generation_duration_seconds', ['model', 'outcome']), legend: '{{model}} {{outcome}}' }],
          }),
          timeseriesPanel({
            title: 'Generations by outcome',
            description: 'Finished generations per second by outcome.',
            unit: 'ops', min: 0, stacked: true,
            queries: [{ expr: sumRate('inference_generation_duration_seconds_count', ['outcome']), legend: '{{outcome}}' }],
          }),
        ],
      },
      {
        title: 'Saturation',
        panels: [
          timeseriesPanel({
            title: 'Active generations and queue',
            description: 'Generations running and requests waiting for a worker slot.',
            unit: 'short', min: 0,
            queries: [
              { expr: `sum(${sel('inference_active_generations')})`, legend: 'active' },
              { expr: `sum(${sel('inference_queue_depth')})`, legend: 'queued' },
            ],
          }),
          timeseriesPanel({
            title: 'Queue wait p95',
            description: 'p95 time a request waited for a worker slot.',
            unit: 's', min: 0,
            queries: [{ expr: quantile(0.95, 'inference_queue_wait_seconds', []), legend: 'p95' }],
          }),
          timeseriesPanel({
            title: 'Workers busy / total',
            description: 'Worker slots held by a generation, next to all slots.',
            unit: 'short', min: 0,
            queries: [
              { expr: busy, legend: 'busy' },
              { expr: total, legend: 'total' },
            ],
          }),
          timeseriesPanel({
            title: 'Rejected requests',
            description: 'Generation requests refused before starting, by reason (over_capacity, invalid).',
            unit: 'reqps', min: 0,
            queries: [{ expr: sumRate('inference_rejected_total', ['reason']), legend: '{{reason}}' }],
          }),
          tablePanel({
            title: 'Model loaded',
            description: '1 for the model loaded and serving, 0 for the other known models.',
            unit: 'bool_yes_no',
            queries: [{ expr: `max by (service, model) (${sel('inference_model_loaded')})`, legend: '{{model}}' }],
          }),
        ],
      },
    ],
  });
}
