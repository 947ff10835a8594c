/**
 * app-performance: the RED view of every samosaChaat service (auth, chat-api, inference,
 * web) plus its Node.js runtime and database. Request rate, 5xx ratio and p95/p99 latency
 * come from the recording rules; latency is time to first byte, so long SSE streams don't
 * poison it — their whole duration has its own panel.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildDashboard } from './layout.js';
import { gaugePanel, statPanel, STEPS, timeseriesPanel } from './panels.js';
import { quantile, rate, sel, sumRate } from './promql.js';
import { prometheusDatasourceVariable, serviceVariable } from './variables.js';

/** Builds the app-performance dashboard. */
export function appPerformanceDashboard(): Dashboard {
  const requestRate = sel('service:http_requests:rate5m');
  // The rule itself falls back to 0 for a service with traffic but no 5xx series.
  const errorRatio = sel('service:http_requests_5xx:ratio_rate5m');
  return buildDashboard({
    uid: 'samosachaat-app-performance',
    title: 'samosaChaat / App performance',
    description: 'Requests, errors, latency and runtime health of every samosaChaat service.',
    tags: ['services', 'red'],
    variables: [prometheusDatasourceVariable(), serviceVariable('http_requests_total')],
    rows: [
      {
        title: 'Golden signals',
        panels: [
          statPanel({
            title: 'Services up',
            description: 'Scrape targets of the selected services answering (ServiceDown fires for any that stops).',
            unit: 'short',
            thresholds: STEPS.upDown,
            queries: [{ expr: `sum(${sel('up', 'job!="node"')})`, instant: true }],
          }),
          statPanel({
            title: 'Request rate',
            description: 'Requests per second over all selected services (5-minute rate).',
            unit: 'reqps',
            thresholds: STEPS.neutral,
            queries: [{ expr: `sum(${requestRate})`, instant: true }],
          }),
          gaugePanel({
            title: '5xx ratio (worst service)',
            description: 'Share of answers with a 5xx status for the worst selected service. High5xxRate fires above 5 %.',
            unit: 'percentunit', min: 0, max: 1, decimals: 2,
            thresholds: STEPS.lowerIsBetter(0.01, 0.05),
            queries: [{ expr: `max(${errorRatio})`, instant: true }],
          }),
          statPanel({
            title: 'p99 latency (worst service)',
            description: 'Slowest p99 time to first byte among the selected services. HighP99Latency fires above 2 s.',
            unit: 's',
            thresholds: STEPS.lowerIsBetter(1, 2),
            queries: [{ expr: `max(${sel('service:http_request_duration_seconds:p99_5m')})`, instant: true }],
          }),
        ],
      },
      {
        title: 'Requests',
        panels: [
          timeseriesPanel({
            title: 'Request rate',
            description: 'Requests per second by service (recording rule service:http_requests:rate5m).',
            unit: 'reqps', min: 0,
            queries: [{ expr: requestRate, legend: '{{service}}' }],
          }),
          timeseriesPanel({
            title: '5xx ratio',
            description: 'Share of answers with a 5xx status by service (recording rule service:http_requests_5xx:ratio_rate5m).',
            unit: 'percentunit', min: 0,
            thresholds: STEPS.lowerIsBetter(0.01, 0.05),
            queries: [{ expr: errorRatio, legend: '{{service}}' }],
          }),
          timeseriesPanel({
            title: 'Responses by status code',
            description: 'Answers per second by service and exact status code (499 = client went away first).',
            unit: 'reqps', min: 0, stacked: true,
            queries: [{ expr: sumRate('http_requests_total', ['service', 'status']), legend: '{{service}} {{status}}' }],
          }),
          timeseriesPanel({
            title: 'Requests in progress',
            description: 'Requests being served right now, by service (open SSE streams count until they end).',
            unit: 'short', min: 0,
            queries: [{ expr: `sum by (service) (${sel('http_requests_in_progress')})`, legend: '{{service}}' }],
          }),
        ],
      },
      {
        title: 'Latency',
        panels: [
          timeseriesPanel({
            title: 'Latency p95 / p99 (time to first byte)',
            description: 'p95 and p99 of http_request_duration_seconds by service (recording rules); for streams this is the time to the first byte.',
            unit: 's', min: 0,
            thresholds: STEPS.lowerIsBetter(1, 2),
            queries: [
              { expr: sel('service:http_request_duration_seconds:p95_5m'), legend: 'p95 {{service}}' },
              { expr: sel('service:http_request_duration_seconds:p99_5m'), legend: 'p99 {{service}}' },
            ],
          }),
          timeseriesPanel({
            title: 'Stream duration p95',
            description: 'p95 of whole SSE stream durations by service and route (http_stream_duration_seconds).',
            unit: 's', min: 0,
            queries: [{ expr: quantile(0.95, 'http_stream_duration_seconds', ['service', 'route']), legend: '{{service}} {{route}}' }],
          }),
          timeseriesPanel({
            title: 'Latency p95 by route',
            description: 'p95 time to first byte by service and route template.',
            unit: 's', min: 0,
            queries: [{ expr: quantile(0.95, 'http_request_duration_seconds', ['service', 'route']), legend: '{{service}} {{route}}' }],
          }),
        ],
      },
      {
        title: 'Runtime',
        panels: [
          timeseriesPanel({
            title: 'Process CPU',
            description: 'CPU seconds per second used by each service process (1 = one full core).',
            unit: 'short', min: 0,
            queries: [{ expr: `sum by (service) (${rate(sel('process_cpu_seconds_total'))})`, legend: '{{service}}' }],
          }),
          timeseriesPanel({
            title: 'Resident memory',
            description: 'Resident set size of each service process.',
            unit: 'bytes', min: 0,
            queries: [{ expr: `sum by (service) (${sel('process_resident_memory_bytes')})`, legend: '{{service}}' }],
          }),
          timeseriesPanel({
            title: 'Event-loop lag p99',
            description: 'p99 event-loop delay per service: above ~100 ms every request on that process waits.',
            unit: 's', min: 0,
            thresholds: STEPS.lowerIsBetter(0.05, 0.1),
            queries: [{ expr: `max by (service) (${sel('nodejs_eventloop_lag_p99_seconds')})`, legend: '{{service}}' }],
          }),
          timeseriesPanel({
            title: 'Heap',
            description: 'V8 heap used and total per service.',
            unit: 'bytes', min: 0,
            queries: [
              { expr: `sum by (service) (${sel('nodejs_heap_size_used_bytes')})`, legend: 'used {{service}}' },
              { expr: `sum by (service) (${sel('nodejs_heap_size_total_bytes')})`, legend: 'total {{service}}' },
            ],
          }),
          timeseriesPanel({
            title: 'GC time',
            description: 'Seconds per second spent in garbage collection, by service and kind.',
            unit: 'percentunit', min: 0,
            queries: [{ expr: sumRate('nodejs_gc_duration_seconds_sum', ['service', 'kind']), legend: '{{service}} {{kind}}' }],
          }),
        ],
      },
      {
        title: 'Database',
        panels: [
          timeseriesPanel({
            title: 'Query latency p95',
            description: 'p95 database query latency by service and operation (auth and chat-api).',
            unit: 's', min: 0,
            queries: [{ expr: quantile(0.95, 'db_query_duration_seconds', ['service', 'operation']), legend: '{{service}} {{operation}}' }],
          }),
          timeseriesPanel({
            title: 'Connection pool',
            description: 'Database connections by state (embedded PGlite has one).',
            unit: 'short', min: 0, stacked: true,
            queries: [{ expr: `sum by (service, state) (${sel('db_pool_connections')})`, legend: '{{service}} {{state}}' }],
          }),
        ],
      },
      {
        title: 'Telemetry loss',
        panels: [
          timeseriesPanel({
            title: 'Log lines and spans lost',
            description: 'Log lines (by sink and reason) and spans (by exporter and reason) produced but never delivered, per second. Anything above 0 is a hole in the logs or traces; TelemetryLoss fires after 10 minutes of it.',
            unit: 'short', min: 0,
            thresholds: STEPS.lowerIsBetter(0.001, 0.01),
            queries: [
              { expr: sumRate('telemetry_log_lines_dropped_total', ['service', 'sink', 'reason']), legend: 'log lines {{service}} {{sink}} {{reason}}' },
              { expr: sumRate('telemetry_spans_dropped_total', ['service', 'exporter', 'reason']), legend: 'spans {{service}} {{exporter}} {{reason}}' },
            ],
          }),
        ],
      },
    ],
  });
}
