import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  alertmanagerSlackSecret,
  clusterDatasources,
  clusterDatasourceUrls,
  clusterGrafanaIni,
  kubePrometheusStackValues,
  kubernetesValuesFiles,
  parseGrafanaIni,
  renderKubernetesAlertmanagerConfig,
} from './kubernetes-values.js';
import { repoPath } from './repo.js';

describe('parseGrafanaIni', () => {
  it('reads sections, keys and values, skipping comments and blank lines', () => {
    const ini = parseGrafanaIni('; comment\n# another\ninstance_name = x\n\n[auth]\ndisable_login_form = true\n[auth.github]\nscopes = user:email,read:org\nrole = a = b\n');
    assert.deepEqual(ini, { '': { instance_name: 'x' }, auth: { disable_login_form: 'true' }, 'auth.github': { scopes: 'user:email,read:org', role: 'a = b' } });
  });

  it('names the line it cannot read', () => {
    assert.throws(() => parseGrafanaIni('[auth]\njust words\n'), /grafana\.ini line 2: expected "key = value"/);
  });

  it('keeps the committed OAuth-only settings', async () => {
    const ini = parseGrafanaIni(await readFile(repoPath('deploy/grafana/grafana.ini'), 'utf8'));
    assert.equal(ini.auth?.disable_login_form, 'true');
    assert.equal(ini['auth.github']?.enabled, 'true');
    assert.equal(ini['auth.google']?.enabled, 'true');
  });
});

describe('clusterGrafanaIni', () => {
  it('points the home dashboard at the sidecar folder and leaves the rest alone', () => {
    const ini = clusterGrafanaIni({ auth: { disable_login_form: 'true' }, dashboards: { default_home_dashboard_path: '/etc/grafana/dashboards/samosachaat/chat.json', x: 'y' } });
    assert.deepEqual(ini, { auth: { disable_login_form: 'true' }, dashboards: { default_home_dashboard_path: '/tmp/dashboards/samosaChaat/chat.json', x: 'y' } });
    assert.deepEqual(clusterGrafanaIni({ auth: {} }), { auth: {} });
  });
});

describe('clusterDatasources', () => {
  const provisioning = 'datasources:\n  - {name: Prometheus, uid: prometheus, type: prometheus, url: http://localhost:9090}\n  - {name: Loki, uid: loki, type: loki, url: http://localhost:3100, jsonData: {maxLines: 5}}\n  - {name: Tempo, uid: tempo, type: tempo, url: http://localhost:3200}\n';

  it('keeps Loki and Tempo with their settings, at the in-cluster addresses', () => {
    assert.deepEqual(clusterDatasources(provisioning), [
      { name: 'Loki', uid: 'loki', type: 'loki', url: clusterDatasourceUrls.loki, jsonData: { maxLines: 5 } },
      { name: 'Tempo', uid: 'tempo', type: 'tempo', url: clusterDatasourceUrls.tempo },
    ]);
  });

  it('fails when the provisioning file lost a datasource the dashboards use', () => {
    assert.throws(() => clusterDatasources('datasources:\n  - {uid: loki, type: loki}\n'), /no datasource with uid tempo/);
    assert.throws(() => clusterDatasources(''), /uid loki, tempo/);
  });
});

describe('kubePrometheusStackValues', () => {
  it('keeps 15 days on 50 Gi and selects every monitor and rule', () => {
    const values = kubePrometheusStackValues({}, []) as { prometheus: { prometheusSpec: Record<string, unknown> } };
    const spec = values.prometheus.prometheusSpec;
    assert.equal(spec.retention, '15d');
    assert.deepEqual(spec.serviceMonitorSelector, {});
    assert.deepEqual(spec.ruleSelector, {});
    assert.equal(spec.serviceMonitorSelectorNilUsesHelmValues, false);
    assert.equal(JSON.stringify(spec.storageSpec).includes('"storage":"50Gi"'), true);
  });

  it('the committed values file carries the committed Grafana settings', async () => {
    const files = await kubernetesValuesFiles();
    const values = parse(files['deploy/kubernetes/values/kube-prometheus-stack.yaml']!) as { grafana: { 'grafana.ini': Record<string, Record<string, string>>; additionalDataSources: Array<{ uid: string }> } };
    assert.equal(values.grafana['grafana.ini'].auth?.disable_login_form, 'true');
    assert.equal(values.grafana['grafana.ini']['auth.basic']?.enabled, 'false');
    assert.deepEqual(values.grafana.additionalDataSources.map((d) => d.uid).sort(), ['loki', 'tempo']);
  });
});

describe('renderKubernetesAlertmanagerConfig', () => {
  it('keeps the committed routing and points at the paths the operator mounts', async () => {
    const config = parse(renderKubernetesAlertmanagerConfig()) as Record<string, unknown> & { global: Record<string, unknown>; templates: string[] };
    const committed = parse(await readFile(repoPath('deploy/alertmanager/alertmanager.yml'), 'utf8')) as typeof config;
    assert.deepEqual(config.route, committed.route);
    assert.deepEqual(config.receivers, committed.receivers);
    assert.deepEqual(config.inhibit_rules, committed.inhibit_rules);
    assert.deepEqual(config.templates, ['/etc/alertmanager/config/*.tmpl']);
    assert.equal(config.global.slack_api_url_file, `/etc/alertmanager/secrets/${alertmanagerSlackSecret}/slack-api-url`);
  });
});
