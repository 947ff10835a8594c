/**
 * The Grafana dashboards generator: every dashboard module rendered to
 * deploy/grafana/dashboards/<name>.json (stable JSON). Registered in ../generate.ts.
 */
import type { Generator } from '../generate.js';
import { DASHBOARDS } from './catalog.js';
import { stableJson } from './render.js';

/** Directory (repo-relative) of the committed dashboard JSON, read by Grafana's provisioning. */
export const DASHBOARDS_DIR = 'deploy/grafana/dashboards';

/** Repo-relative path of a dashboard's JSON file. */
export function dashboardPath(name: string): string {
  return `${DASHBOARDS_DIR}/${name}.json`;
}

/** Renders every dashboard: repo-relative path → JSON text. */
export function renderDashboards(): Record<string, string> {
  const files: Record<string, string> = {};
  for (const [name, build] of Object.entries(DASHBOARDS)) files[dashboardPath(name)] = stableJson(build());
  return files;
}

/** The generator registered in generate.ts. */
export const grafanaDashboardsGenerator: Generator = {
  name: 'grafana-dashboards',
  files: async () => renderDashboards(),
};
