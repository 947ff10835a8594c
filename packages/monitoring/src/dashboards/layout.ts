/**
 * Assembles a samosaChaat dashboard from rows of panels: common settings (time range,
 * refresh, tags, links to the sibling dashboards) and stable panel ids, so the generated
 * JSON only changes when a dashboard's code does.
 */
import type { Builder } from '@grafana/grafana-foundation-sdk/cog';
import {
  DashboardBuilder,
  DashboardCursorSync,
  DashboardLinkBuilder,
  DashboardLinkType,
  RowBuilder,
  type Dashboard,
  type Panel,
  type RowPanel,
  type VariableModel,
} from '@grafana/grafana-foundation-sdk/dashboard';

/** Tag shared by every generated dashboard (the links between them select on it). */
export const DASHBOARD_TAG = 'samosachaat';

/** A titled row of panels. */
export interface RowSpec {
  title: string;
  panels: Builder<Panel>[];
}

/** Everything that differs between dashboards. */
export interface DashboardSpec {
  uid: string;
  title: string;
  description: string;
  tags: string[];
  variables: Builder<VariableModel>[];
  rows: RowSpec[];
}

/** Builds the dashboard model; panel ids are assigned in reading order starting at 1. */
export function buildDashboard(spec: DashboardSpec): Dashboard {
  const builder = new DashboardBuilder(spec.title)
    .uid(spec.uid)
    .description(spec.description)
    .tags([DASHBOARD_TAG, ...spec.tags])
    .timezone('browser')
    .time({ from: 'now-1h', to: 'now' })
    .refresh('30s')
    .tooltip(DashboardCursorSync.Crosshair)
    // Generated from code: edits belong in packages/monitoring/src/dashboards, not the UI.
    .readonly()
    .link(
      new DashboardLinkBuilder('samosaChaat dashboards')
        .type(DashboardLinkType.Dashboards)
        .tags([DASHBOARD_TAG])
        .asDropdown(true)
        .includeVars(true)
        .keepTime(true),
    )
    .variables(spec.variables);
  for (const row of spec.rows) {
    builder.withRow(new RowBuilder(row.title));
    for (const panel of row.panels) builder.withPanel(panel);
  }
  const model = builder.build();
  let id = 1;
  for (const panel of model.panels ?? []) {
    (panel as Panel | RowPanel).id = id++;
  }
  return model;
}
