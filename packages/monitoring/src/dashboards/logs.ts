/**
 * logs: the services' JSON log lines in Loki, next to the Prometheus error ratio. Streams
 * are labelled only by service, level, namespace, app, pod and container (see
 * deploy/loki/promtail.yml); trace_id and user_id are structured metadata, so filtering by a
 * trace id is `| trace_id="…"` after the stream selector, not a label matcher.
 */
import type { Dashboard } from '@grafana/grafana-foundation-sdk/dashboard';
import { buildDashboard } from './layout.js';
import { logsPanel, lokiTimeseriesPanel, timeseriesPanel, STEPS } from './panels.js';
import { sel } from './promql.js';
import { lokiDatasourceVariable, prometheusDatasourceVariable, serviceVariable, textVariable } from './variables.js';

/** The stream selector of every Loki query on this dashboard. */
export const LOG_STREAM = '{service=~"$service"}';

/** Builds the logs dashboard. */
export function logsDashboard(): Dashboard {
  return buildDashboard({
    uid: 'samosachaat-logs',
    title: 'samosaChaat / Logs',
    description: 'JSON logs of every samosaChaat service from Loki: volume, errors, and one request followed across services by trace id.',
    tags: ['logs', 'loki'],
    variables: [
      prometheusDatasourceVariable(),
      lokiDatasourceVariable(),
      serviceVariable('http_requests_total'),
      textVariable('trace_id', 'Trace id', 'A 32-hex trace id (from the x-trace-id response header or any log line) to follow one request across services.'),
    ],
    rows: [
      {
        title: 'Volume and errors',
        panels: [
          lokiTimeseriesPanel({
            title: 'Error lines per second by service',
            description: 'Log lines at level error or critical per second, by service.',
            unit: 'short', width: 8,
            queries: [{ expr: `sum by (service) (rate({service=~"$service", level=~"error|critical"} [$__interval]))`, legend: '{{service}}' }],
          }),
          lokiTimeseriesPanel({
            title: 'Log volume by level',
            description: 'Log lines per second by level.',
            unit: 'short', width: 8,
            queries: [{ expr: `sum by (level) (rate(${LOG_STREAM} [$__interval]))`, legend: '{{level}}' }],
          }),
          lokiTimeseriesPanel({
            title: '5xx answers logged, by service',
            description: 'Access lines (http_request_completed) with status_code >= 500 per second, parsed from the JSON body.',
            unit: 'short', width: 8,
            queries: [{ expr: `sum by (service) (rate(${LOG_STREAM} |= "http_request_completed" | json | status_code >= 500 [$__interval]))`, legend: '{{service}}' }],
          }),
          timeseriesPanel({
            title: 'HTTP 5xx ratio (Prometheus)',
            description: 'The same errors from the metrics side (recording rule service:http_requests_5xx:ratio_rate5m), to line up with the error log lines.',
            unit: 'percentunit', min: 0, width: 24, height: 6,
            thresholds: STEPS.lowerIsBetter(0.01, 0.05),
            queries: [{ expr: sel('service:http_requests_5xx:ratio_rate5m'), legend: '{{service}}' }],
          }),
        ],
      },
      {
        title: 'Logs',
        panels: [
          logsPanel({
            title: 'Logs',
            description: 'Every line of the selected services, newest first, JSON fields parsed (open a line for trace_id, user_id and the rest).',
            expr: `${LOG_STREAM} | json`,
          }),
          logsPanel({
            title: 'One request across services (trace id)',
            description: 'Lines of every service carrying the trace id typed in the "Trace id" box, in order; trace_id is structured metadata, so no JSON parsing is needed to filter.',
            expr: `${LOG_STREAM} | trace_id="$trace_id" | json | line_format "{{.service}} {{.level}} {{.message}} {{.route}} {{.status_code}}"`,
          }),
          logsPanel({
            title: 'Errors',
            description: 'Lines at level error or critical with their cause and trace id.',
            expr: `{service=~"$service", level=~"error|critical"} | json | line_format "{{.service}} {{.message}} {{.error}} trace_id={{.trace_id}}"`,
            height: 10,
          }),
        ],
      },
    ],
  });
}
