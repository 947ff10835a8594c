/**
 * Datasource references and template variables shared by the dashboards. Panels never name a
 * datasource uid directly: they point at the `datasource` (Prometheus) or `loki` variable, so
 * the dashboards work with any provisioned datasource, and default to the provisioned ones
 * (uids `prometheus` and `loki`, see deploy/grafana/provisioning/datasources).
 */
import type { DataSourceRef } from '@grafana/grafana-foundation-sdk/common';
import {
  DatasourceVariableBuilder,
  QueryVariableBuilder,
  TextBoxVariableBuilder,
  VariableRefresh,
  VariableSort,
} from '@grafana/grafana-foundation-sdk/dashboard';

/** Every Prometheus panel and query uses this reference. */
export const PROMETHEUS: DataSourceRef = { type: 'prometheus', uid: '${datasource}' };
/** Every Loki panel and query uses this reference. */
export const LOKI: DataSourceRef = { type: 'loki', uid: '${loki}' };

/** Uids of the provisioned datasources (deploy/grafana/provisioning/datasources/*.yml). */
export const DATASOURCE_UIDS = { prometheus: 'prometheus', loki: 'loki', tempo: 'tempo' } as const;

/** The `datasource` variable: any Prometheus datasource, the provisioned one by default. */
export function prometheusDatasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('datasource')
    .label('Prometheus')
    .type('prometheus')
    .current({ selected: true, text: 'Prometheus', value: DATASOURCE_UIDS.prometheus });
}

/** The `loki` variable: any Loki datasource, the provisioned one by default. */
export function lokiDatasourceVariable(): DatasourceVariableBuilder {
  return new DatasourceVariableBuilder('loki')
    .label('Loki')
    .type('loki')
    .current({ selected: true, text: 'Loki', value: DATASOURCE_UIDS.loki });
}

/**
 * A multi-value query variable over a label of `metric` (e.g. `service` of
 * `http_requests_total`), with "All" selected by default. "All" becomes the regex `.+` (Loki refuses a selector that matches the empty string, so not `.*`), so
 * `service=~"$service"` also matches when the list is long.
 */
export function labelVariable(name: string, label: string, metric: string, labelName: string = name): QueryVariableBuilder {
  const query = `label_values(${metric}, ${labelName})`;
  return new QueryVariableBuilder(name)
    .label(label)
    .datasource(PROMETHEUS)
    .query(query)
    .definition(query)
    .multi(true)
    .includeAll(true)
    .allValue('.+')
    .current({ selected: true, text: ['All'], value: ['$__all'] })
    .refresh(VariableRefresh.OnTimeRangeChanged)
    .sort(VariableSort.AlphabeticalAsc);
}

/** The `service` selector every dashboard has, listing the services that export `metric`. */
export function serviceVariable(metric: string): QueryVariableBuilder {
  return labelVariable('service', 'Service', metric, 'service');
}

/** A free-text variable (e.g. a trace id to filter logs by); empty by default. */
export function textVariable(name: string, label: string, description: string): TextBoxVariableBuilder {
  return new TextBoxVariableBuilder(name).label(label).description(description).defaultValue('');
}
