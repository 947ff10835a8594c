import { repoPath } from './repo.js';

/**
 * Absolute paths of the committed Prometheus and Alertmanager configuration, resolved from
 * this module's location (see repo.ts), so they hold wherever the process was started.
 */

/** deploy/prometheus: prometheus.yml, rules/ and the promtool tests. */
export const prometheusDir: string = repoPath('deploy/prometheus');

/** deploy/alertmanager: alertmanager.yml and templates/. */
export const alertmanagerDir: string = repoPath('deploy/alertmanager');

/** docs/runbooks: one <AlertName>.md per alert. */
export const runbooksDir: string = repoPath('docs/runbooks');

/** The public address runbook links point at (docs/runbooks/<AlertName>.md on the main branch). */
export const runbookBaseUrl = 'https://github.com/samosachaat/samosachaat/blob/main/docs/runbooks/';
