/**
 * Reads generated dashboard JSON back: every panel (rows flattened, collapsed rows'
 * panels included) and every query with its datasource type. The dashboard tests and the
 * Prometheus proof both walk dashboards through this, so they agree on what a "panel
 * query" is.
 */

/** The parts of a Grafana panel this module reads. */
export interface PanelJson {
  id?: number;
  type?: string;
  title?: string;
  datasource?: { type?: string; uid?: string } | null;
  targets?: Array<{ refId?: string; expr?: string; datasource?: { type?: string; uid?: string } | null }>;
  panels?: PanelJson[];
  fieldConfig?: { defaults?: { unit?: string; thresholds?: { steps?: Array<{ color: string; value: number | null }> } } };
}

/** The parts of a Grafana dashboard this module reads. */
export interface DashboardJson {
  uid?: string;
  title?: string;
  panels?: PanelJson[];
  rows?: Array<{ panels?: PanelJson[] }>;
  templating?: { list?: Array<{ name: string; type: string; query?: unknown; multi?: boolean; includeAll?: boolean; datasource?: { type?: string; uid?: string } | null }> };
}

/** One query of one panel. */
export interface PanelQuery {
  dashboard: string;
  panel: string;
  panelId: number | undefined;
  refId: string;
  /** `prometheus` or `loki` (from the target's datasource, else the panel's). */
  datasourceType: string;
  datasourceUid: string | undefined;
  expr: string;
}

/** Every non-row panel, in order: top-level, inside rows (old `rows` layout) and collapsed rows. */
export function flattenPanels(dashboard: DashboardJson): PanelJson[] {
  const out: PanelJson[] = [];
  const visit = (panels: PanelJson[] | undefined): void => {
    for (const panel of panels ?? []) {
      if (panel.type === 'row') visit(panel.panels);
      else out.push(panel);
    }
  };
  visit(dashboard.panels);
  for (const row of dashboard.rows ?? []) visit(row.panels);
  return out;
}

/** Every query with an `expr`, labelled with its dashboard and panel for error messages. */
export function panelQueries(dashboard: DashboardJson): PanelQuery[] {
  const name = dashboard.title ?? dashboard.uid ?? '(untitled dashboard)';
  const out: PanelQuery[] = [];
  for (const panel of flattenPanels(dashboard)) {
    for (const [index, target] of (panel.targets ?? []).entries()) {
      if (typeof target.expr !== 'string') continue;
      const datasource = target.datasource ?? panel.datasource ?? undefined;
      out.push({
        dashboard: name,
        panel: panel.title ?? `panel ${panel.id ?? '?'}`,
        panelId: panel.id,
        refId: target.refId ?? String(index),
        datasourceType: datasource?.type ?? 'prometheus',
        datasourceUid: datasource?.uid,
        expr: target.expr,
      });
    }
  }
  return out;
}

/** Values substituted for Grafana's built-in and samosaChaat's dashboard variables. */
export const DEFAULT_VARIABLE_VALUES: Readonly<Record<string, string>> = {
  __rate_interval: '1m',
  __interval: '1m',
  __auto: '1m',
  __range: '1h',
  service: '.+',
  instance: '.+',
  trace_id: '4bf92f3577b34da6a3ce929d0e0e4736',
};

/**
 * Replaces `$name`, `${name}` and `[[name]]` with concrete values, as Grafana does before it
 * sends a query, so the result can be parsed or run. An unknown variable is an error (a
 * typo would otherwise reach Prometheus as literal text).
 */
export function substituteVariables(expr: string, values: Readonly<Record<string, string>> = DEFAULT_VARIABLE_VALUES): string {
  return expr.replace(/\$\{(\w+)(?::\w+)?\}|\$(\w+)|\[\[(\w+)\]\]/g, (match, braced: string | undefined, plain: string | undefined, old: string | undefined) => {
    const name = braced ?? plain ?? old ?? '';
    const value = values[name];
    if (value === undefined) throw new Error(`unknown dashboard variable ${match} in: ${expr}`);
    return value;
  });
}
