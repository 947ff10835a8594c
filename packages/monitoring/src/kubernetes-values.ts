/**
 * The Helm values for the upstream kube-prometheus-stack chart
 * (deploy/kubernetes/values/kube-prometheus-stack.yaml) and the Alertmanager configuration
 * the in-cluster Alertmanager loads (deploy/kubernetes/alertmanager/alertmanager.yaml).
 * Generated, not hand-written, because they repeat what deploy/ already says: Grafana's
 * OAuth-only settings come from deploy/grafana/grafana.ini, the Loki and Tempo datasources
 * (with their fixed uids) from deploy/grafana/provisioning/datasources, and the routing from
 * renderAlertmanagerConfig — only the in-cluster paths and addresses differ.
 */
import { readFile } from 'node:fs/promises';
import { parse, stringify } from 'yaml';
import { renderAlertmanagerConfig } from './alertmanager-config.js';
import { repoPath } from './repo.js';

/** Repo-relative path of the generated kube-prometheus-stack values. */
export const kubePrometheusStackValuesPath = 'deploy/kubernetes/values/kube-prometheus-stack.yaml';

/** Repo-relative path of the generated in-cluster Alertmanager configuration. */
export const kubernetesAlertmanagerConfigPath = 'deploy/kubernetes/alertmanager/alertmanager.yaml';

/** Secret holding alertmanager.yaml and the templates (`alertmanagerSpec.configSecret`). */
export const alertmanagerConfigSecret = 'samosachaat-alertmanager';

/** Secret holding the Slack webhook URL, mounted by the operator under /etc/alertmanager/secrets/<name>/. */
export const alertmanagerSlackSecret = 'samosachaat-alertmanager-slack';

/** Secret with Grafana's GRAFANA_* variables (root URL, OAuth client ids and secrets, allow-lists). */
export const grafanaOAuthSecret = 'samosachaat-grafana-oauth';

/** Where the monitoring charts are installed (docs/deployment.md). */
export const monitoringNamespace = 'monitoring';

/** In-cluster addresses of the Loki and Tempo installs docs/deployment.md describes. */
export const clusterDatasourceUrls: Readonly<Record<string, string>> = {
  loki: `http://loki-gateway.${monitoringNamespace}.svc.cluster.local`,
  tempo: `http://tempo.${monitoringNamespace}.svc.cluster.local:3200`,
};

/** Where the Grafana sidecar writes dashboards (chart default) and the folder annotation names. */
const SIDECAR_DASHBOARDS_DIR = '/tmp/dashboards';

type Ini = Record<string, Record<string, string>>;

/** Parses Grafana's ini format: `[section]`, `key = value`, `;`/`#` comments. Keys before any section go to `''`. */
export function parseGrafanaIni(text: string): Ini {
  const ini: Ini = {};
  let section = '';
  for (const [index, raw] of text.split('\n').entries()) {
    const line = raw.trim();
    if (line === '' || line.startsWith(';') || line.startsWith('#')) continue;
    const header = /^\[([^\]]+)\]$/.exec(line);
    if (header?.[1]) {
      section = header[1].trim();
      ini[section] ??= {};
      continue;
    }
    const eq = line.indexOf('=');
    if (eq <= 0) throw new Error(`grafana.ini line ${index + 1}: expected "key = value" or "[section]", got "${line}"`);
    (ini[section] ??= {})[line.slice(0, eq).trim()] = line.slice(eq + 1).trim();
  }
  return ini;
}

/** grafana.ini for the chart: deploy/grafana/grafana.ini with the sidecar's dashboard path. */
export function clusterGrafanaIni(ini: Ini): Ini {
  const home = ini.dashboards?.default_home_dashboard_path;
  const file = home?.split('/').pop();
  return {
    ...ini,
    // The chart provisions through its sidecars; the folder comes from the grafana_folder annotation.
    ...(file ? { dashboards: { ...ini.dashboards, default_home_dashboard_path: `${SIDECAR_DASHBOARDS_DIR}/samosaChaat/${file}` } } : {}),
  };
}

interface Datasource {
  uid?: string;
  type?: string;
  url?: string;
  [key: string]: unknown;
}

/** The Loki and Tempo datasources of the provisioning file, pointed at their in-cluster Services. */
export function clusterDatasources(provisioning: string): Datasource[] {
  const doc = parse(provisioning) as { datasources?: Datasource[] } | null;
  const all = doc?.datasources ?? [];
  const picked = all.filter((d) => d.uid !== undefined && d.uid in clusterDatasourceUrls);
  const missing = Object.keys(clusterDatasourceUrls).filter((uid) => !picked.some((d) => d.uid === uid));
  if (missing.length > 0) throw new Error(`the Grafana datasource provisioning file has no datasource with uid ${missing.join(', ')}`);
  return picked.map((d) => ({ ...d, url: clusterDatasourceUrls[d.uid as string] }));
}

/** The kube-prometheus-stack values object. */
export function kubePrometheusStackValues(grafanaIni: Ini, datasources: Datasource[]): Record<string, unknown> {
  // Empty selectors with NilUsesHelmValues=false select every ServiceMonitor / PrometheusRule in
  // every namespace: samosaChaat's (app.kubernetes.io/part-of: samosachaat, in its own namespace)
  // AND the chart's own (node-exporter, kubelet…), which HighCPU/HighMemory/DiskSpaceLow need.
  // A matchLabels on part-of would silently drop the latter.
  const selectAll = {};
  return {
    prometheus: {
      prometheusSpec: {
        scrapeInterval: '15s',
        evaluationInterval: '15s',
        retention: '15d',
        // Below the volume size: Prometheus deletes the oldest blocks before the disk fills.
        retentionSize: '45GB',
        serviceMonitorSelectorNilUsesHelmValues: false,
        serviceMonitorSelector: selectAll,
        serviceMonitorNamespaceSelector: {},
        podMonitorSelectorNilUsesHelmValues: false,
        podMonitorSelector: selectAll,
        podMonitorNamespaceSelector: {},
        ruleSelectorNilUsesHelmValues: false,
        ruleSelector: selectAll,
        ruleNamespaceSelector: {},
        storageSpec: {
          volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '50Gi' } } } },
        },
      },
    },
    alertmanager: {
      alertmanagerSpec: {
        // The configuration is ours (deploy/kubernetes/alertmanager/alertmanager.yaml + templates),
        // created as a Secret before the install; the chart's default config is not used.
        useExistingSecret: true,
        configSecret: alertmanagerConfigSecret,
        secrets: [alertmanagerSlackSecret],
        storage: { volumeClaimTemplate: { spec: { accessModes: ['ReadWriteOnce'], resources: { requests: { storage: '2Gi' } } } } },
      },
    },
    grafana: {
      // GRAFANA_ROOT_URL, GRAFANA_GITHUB_*, GRAFANA_GOOGLE_* (see deploy/grafana/grafana.ini).
      envFromSecret: grafanaOAuthSecret,
      'grafana.ini': grafanaIni,
      sidecar: {
        dashboards: {
          enabled: true,
          label: 'grafana_dashboard',
          labelValue: '1',
          searchNamespace: 'ALL',
          folder: SIDECAR_DASHBOARDS_DIR,
          folderAnnotation: 'grafana_folder',
          provider: { foldersFromFilesStructure: true, allowUiUpdates: false, disableDelete: true },
        },
        datasources: {
          enabled: true,
          defaultDatasourceEnabled: true,
          isDefaultDatasource: true,
          // The generated dashboards default to these uids.
          uid: 'prometheus',
          alertmanager: { uid: 'alertmanager' },
          defaultDatasourceScrapeInterval: '15s',
        },
      },
      additionalDataSources: datasources,
    },
  };
}

/** The values file text (header + YAML). */
export function renderKubePrometheusStackValues(grafanaIni: Ini, datasources: Datasource[]): string {
  const header = [
    '# Values for the upstream kube-prometheus-stack chart (prometheus-community/kube-prometheus-stack).',
    '# Generated by packages/monitoring/src/kubernetes-values.ts from deploy/grafana/grafana.ini and',
    '# deploy/grafana/provisioning/datasources (npm run monitoring:generate): do not edit.',
    `# Install: docs/deployment.md ("The monitoring stack"). Secrets it expects in namespace ${monitoringNamespace}:`,
    `#   ${alertmanagerConfigSecret} (alertmanager.yaml + *.tmpl), ${alertmanagerSlackSecret} (slack-api-url),`,
    `#   ${grafanaOAuthSecret} (GRAFANA_* variables).`,
  ].join('\n');
  return `${header}\n${stringify(kubePrometheusStackValues(grafanaIni, datasources), { lineWidth: 0, aliasDuplicateObjects: false })}`;
}

/** The in-cluster alertmanager.yaml: the committed routing, with the operator's mount paths. */
export function renderKubernetesAlertmanagerConfig(): string {
  const config = parse(renderAlertmanagerConfig({ templatesDir: '/etc/alertmanager/config' })) as { global: Record<string, unknown> };
  config.global.slack_api_url_file = `/etc/alertmanager/secrets/${alertmanagerSlackSecret}/slack-api-url`;
  const header = [
    '# Alertmanager configuration for kube-prometheus-stack (Secret samosachaat-alertmanager, key alertmanager.yaml).',
    '# Generated by packages/monitoring/src/kubernetes-values.ts from renderAlertmanagerConfig: the same routes,',
    '# receivers and inhibitions as deploy/alertmanager/alertmanager.yml, with the paths the operator mounts',
    '# (templates from the same Secret, the Slack URL from Secret samosachaat-alertmanager-slack). Do not edit.',
    '# Replace the example.com SMTP settings and recipient when you create the Secret (docs/deployment.md).',
  ].join('\n');
  return `${header}\n${stringify(config, { lineWidth: 0 })}`;
}

/** Both generated files, read from deploy/grafana. */
export async function kubernetesValuesFiles(): Promise<Record<string, string>> {
  const ini = clusterGrafanaIni(parseGrafanaIni(await readFile(repoPath('deploy/grafana/grafana.ini'), 'utf8')));
  const datasources = clusterDatasources(await readFile(repoPath('deploy/grafana/provisioning/datasources/samosachaat.yml'), 'utf8'));
  return {
    [kubePrometheusStackValuesPath]: renderKubePrometheusStackValues(ini, datasources),
    [kubernetesAlertmanagerConfigPath]: renderKubernetesAlertmanagerConfig(),
  };
}
