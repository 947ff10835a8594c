/**
 * The Grafana dashboards: the committed JSON is exactly what the typed code generates, and
 * every dashboard is usable — datasource and service variables, units, thresholds, unique
 * uids — and only queries metrics something exports, filtered on the selected service,
 * in PromQL that Prometheus's own parser (promtool) accepts.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { freePort } from '../../../test/support/platform.js';
import { requireBinary } from '../../../test/support/binaries.js';
import { DASHBOARDS } from '../src/dashboards/catalog.js';
import { dashboardPath, renderDashboards } from '../src/dashboards/generator.js';
import { flattenPanels, panelQueries, substituteVariables, type DashboardJson, type PanelQuery } from '../src/dashboards/inspect.js';
import { checkPromqlSyntax } from '../src/dashboards/promql-check.js';
import { metricNames, selectors } from '../src/promql-names.js';
import { repoRoot } from '../src/repo.js';

const NAMES = ['node-health', 'app-performance', 'inference', 'chat', 'logs'];

async function committed(name: string): Promise<{ text: string; json: DashboardJson }> {
  const text = await readFile(join(repoRoot, dashboardPath(name)), 'utf8');
  return { text, json: JSON.parse(text) as DashboardJson };
}

async function allDashboards(): Promise<Array<{ name: string; json: DashboardJson }>> {
  return Promise.all(NAMES.map(async (name) => ({ name, json: (await committed(name)).json })));
}

/** Metric names (and their label names) from the generated tables of docs/metrics.md. */
async function documentedMetrics(): Promise<Map<string, string[]>> {
  const doc = await readFile(join(repoRoot, 'docs/metrics.md'), 'utf8');
  const out = new Map<string, string[]>();
  for (const row of doc.matchAll(/^\| `([a-zA-Z_:][a-zA-Z0-9_:]*)` \| (counter|gauge|histogram|summary) \| ([^|]*) \|/gm)) {
    const [, name = '', type, labelCell = ''] = row;
    const labels = [...labelCell.matchAll(/`(\w+)`/g)].map((m) => m[1] ?? '');
    out.set(name, labels);
    if (type === 'histogram') {
      out.set(`${name}_bucket`, [...labels, 'le']);
      out.set(`${name}_sum`, labels);
      out.set(`${name}_count`, labels);
    }
  }
  return out;
}

/** Record names of every recording rule file (the hand-written one and the generated SLO rules). */
async function recordingRules(): Promise<string[]> {
  const names: string[] = [];
  for (const name of ['recording.rules.yml', 'slo.rules.yml']) {
    const file = parse(await readFile(join(repoRoot, 'deploy/prometheus/rules', name), 'utf8')) as { groups: Array<{ rules: Array<{ record?: string }> }> };
    names.push(...file.groups.flatMap((group) => group.rules.map((rule) => rule.record).filter((r): r is string => typeof r === 'string')));
  }
  return names;
}

interface Catalog {
  documented: Map<string, string[]>;
  rules: Set<string>;
}

/** Does `metric` carry a `service` label (so a selector on it must filter by `$service`)? */
function hasServiceLabel(metric: string, catalog: Catalog): boolean {
  if (catalog.rules.has(metric)) return metric.startsWith('service:'); // aggregated by service; model:/instance: rules are not
  return true; // documented families, node_* and up all carry service (contract: target label or the registry's)
}

/** Every problem of one dashboard's Prometheus queries: unknown metrics, missing service filters. */
function lintQueries(queries: readonly PanelQuery[], catalog: Catalog): string[] {
  const problems: string[] = [];
  for (const q of queries.filter((query) => query.datasourceType === 'prometheus')) {
    const where = `${q.dashboard} / "${q.panel}" / ${q.refId}`;
    for (const name of metricNames(q.expr)) {
      const known = catalog.documented.has(name) || catalog.rules.has(name) || name === 'up' || /^node_[a-zA-Z0-9_]+$/.test(name);
      if (!known) problems.push(`${where}: metric ${name} is not in docs/metrics.md, node_exporter, up or the recording rules`);
    }
    for (const selector of selectors(q.expr)) {
      if (selector.metric === '') problems.push(`${where}: bare selector {${selector.matchers}} names no metric`);
      else if (hasServiceLabel(selector.metric, catalog) && !/\bservice=~"\$service"/.test(selector.matchers)) {
        problems.push(`${where}: ${selector.metric} is not filtered with service=~"$service"`);
      }
    }
  }
  return problems;
}

describe('Grafana dashboards', () => {
  it('committed JSON equals the generated JSON', async () => {
    const generated = renderDashboards();
    assert.deepEqual(Object.keys(generated).sort(), NAMES.map(dashboardPath).sort());
    for (const name of NAMES) {
      const { text } = await committed(name);
      // A compact message: a full JSON diff drowns the one line that matters.
      assert.ok(text === generated[dashboardPath(name)], `${dashboardPath(name)} differs from its code: run \`npm run monitoring:generate\``);
    }
  });

  it('is stable JSON: sorted keys, two-space indentation, trailing newline', async () => {
    for (const name of NAMES) {
      const { text, json } = await committed(name);
      assert.ok(text.endsWith('}\n') && !text.endsWith('\n\n'), `${name}: one trailing newline`);
      assert.match(text, /^\{\n {2}"/, `${name}: two-space indentation`);
      const keys = Object.keys(json);
      assert.deepEqual(keys, [...keys].sort(), `${name}: top-level keys sorted`);
    }
  });

  it('each dashboard has a Prometheus datasource variable and a multi-value service selector', async () => {
    for (const { name, json } of await allDashboards()) {
      const vars = json.templating?.list ?? [];
      const datasource = vars.find((v) => v.name === 'datasource');
      assert.equal(datasource?.type, 'datasource', `${name}: datasource variable`);
      assert.equal(datasource?.query, 'prometheus', `${name}: datasource variable lists Prometheus datasources`);
      const service = vars.find((v) => v.name === 'service');
      assert.equal(service?.type, 'query', `${name}: service variable`);
      assert.match(String(service?.query), /^label_values\([a-z_]+(\{[^}]*\})?, service\)$/, `${name}: service variable lists label_values(…, service)`);
      assert.equal(service?.multi, true, `${name}: service is multi-value`);
      assert.equal(service?.includeAll, true, `${name}: service includes All`);
      assert.equal(service?.datasource?.uid, '${datasource}', `${name}: service variable queries the selected Prometheus`);
    }
  });

  it('every panel has a unit; every stat, gauge and bar gauge has thresholds', async () => {
    for (const { name, json } of await allDashboards()) {
      const panels = flattenPanels(json);
      assert.ok(panels.length >= 5, `${name} has panels`);
      for (const panel of panels) {
        const where = `${name} / "${panel.title}"`;
        assert.ok(panel.fieldConfig?.defaults?.unit, `${where} has no unit`);
        if (['stat', 'gauge', 'bargauge'].includes(panel.type ?? '')) {
          const steps = panel.fieldConfig?.defaults?.thresholds?.steps ?? [];
          assert.ok(steps.length >= (panel.type === 'stat' ? 1 : 2), `${where} (${panel.type}) has no thresholds`);
          assert.equal(steps[0]?.value, null, `${where}: the first threshold step is the base (null)`);
          const values = steps.slice(1).map((s) => s.value as number);
          assert.deepEqual(values, [...values].sort((a, b) => a - b), `${where}: threshold steps ascend`);
        }
      }
    }
  });

  it('uids are unique across dashboards and panel ids within each', async () => {
    const dashboards = await allDashboards();
    const uids = dashboards.map((d) => d.json.uid);
    assert.equal(new Set(uids).size, uids.length, `duplicate dashboard uid in ${uids.join(', ')}`);
    for (const { name, json } of dashboards) {
      const ids = (json.panels ?? []).map((p) => p.id);
      assert.ok(ids.every((id) => typeof id === 'number'), `${name}: every panel has an id`);
      assert.equal(new Set(ids).size, ids.length, `${name}: duplicate panel id`);
    }
  });

  it('every panel queries something, through a datasource variable', async () => {
    for (const { name, json } of await allDashboards()) {
      for (const panel of flattenPanels(json)) {
        assert.ok((panel.targets ?? []).length > 0, `${name} / "${panel.title}" has no query`);
        assert.ok(['${datasource}', '${loki}'].includes(panel.datasource?.uid ?? ''), `${name} / "${panel.title}" uses datasource ${JSON.stringify(panel.datasource)}`);
      }
      for (const query of panelQueries(json)) {
        const expected = query.datasourceType === 'loki' ? '${loki}' : '${datasource}';
        assert.equal(query.datasourceUid, expected, `${name} / "${query.panel}" / ${query.refId}`);
      }
    }
  });

  it('queries only metrics that exist, each filtered on the selected service', async () => {
    const catalog: Catalog = { documented: await documentedMetrics(), rules: new Set(await recordingRules()) };
    assert.ok(catalog.documented.has('http_requests_total') && catalog.documented.has('http_request_duration_seconds_bucket'), 'docs/metrics.md tables were read');
    for (const name of ['service:http_requests:rate5m', 'instance:node_cpu_utilisation:ratio', 'model:inference_time_to_first_token_seconds:p95_5m']) {
      assert.ok(catalog.rules.has(name), `recording rule ${name} (contract) is defined`);
    }
    const used = new Set<string>();
    for (const { json } of await allDashboards()) {
      const queries = panelQueries(json);
      assert.deepEqual(lintQueries(queries, catalog), []);
      for (const q of queries.filter((query) => query.datasourceType === 'prometheus')) for (const m of metricNames(q.expr)) used.add(m);
    }
    // The dashboards cover every family the brief names, not a token subset.
    for (const family of ['node_cpu_seconds_total', 'node_filesystem_avail_bytes', 'node_load1', 'node_network_receive_bytes_total', 'http_stream_duration_seconds_bucket',
      'http_requests_in_progress', 'process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_eventloop_lag_p99_seconds', 'nodejs_gc_duration_seconds_sum',
      'db_query_duration_seconds_bucket', 'db_pool_connections', 'inference_inter_token_latency_seconds_bucket', 'inference_queue_depth', 'inference_workers_busy',
      'inference_model_loaded', 'inference_rejected_total', 'chat_active_streams', 'chat_messages_persisted_total', 'chat_client_disconnects_total',
      'chat_auth_cache_requests_total', 'chat_upstream_errors_total', 'auth_logins_total', 'auth_refresh_total', 'auth_token_validations_total', 'auth_rate_limited_total',
      'service:http_requests:rate5m', 'service:http_requests_5xx:ratio_rate5m', 'service:http_request_duration_seconds:p95_5m', 'service:http_request_duration_seconds:p99_5m',
      'model:inference_time_to_first_token_seconds:p95_5m', 'model:inference_generated_tokens:rate5m', 'instance:node_cpu_utilisation:ratio', 'instance:node_memory_utilisation:ratio', 'up']) {
      assert.ok(used.has(family), `no panel shows ${family}`);
    }
  });

  it('the query lint catches an unknown metric and a missing service filter', async () => {
    const catalog: Catalog = { documented: await documentedMetrics(), rules: new Set(await recordingRules()) };
    const broken: PanelQuery[] = [
      { dashboard: 'broken', panel: 'typo', panelId: 1, refId: 'A', datasourceType: 'prometheus', datasourceUid: '${datasource}', expr: 'sum(rate(http_request_total{service=~"$service"}[5m]))' },
      { dashboard: 'broken', panel: 'unfiltered', panelId: 2, refId: 'A', datasourceType: 'prometheus', datasourceUid: '${datasource}', expr: 'sum by (service) (rate(http_requests_total[5m]))' },
      { dashboard: 'broken', panel: 'other service label', panelId: 3, refId: 'A', datasourceType: 'prometheus', datasourceUid: '${datasource}', expr: 'chat_active_streams{service="chat-api"}' },
    ];
    const problems = lintQueries(broken, catalog);
    assert.equal(problems.length, 3, problems.join('\n'));
    assert.match(problems[0] ?? '', /"typo".*http_request_total is not in docs\/metrics.md/);
    assert.match(problems[1] ?? '', /"unfiltered".*http_requests_total is not filtered/);
    assert.match(problems[2] ?? '', /"other service label".*chat_active_streams is not filtered/);
  });

  it('every PromQL query parses with Prometheus\'s parser (promtool check rules)', async (t) => {
    const promtool = requireBinary(t, 'promtool', 'prometheus');
    if (!promtool) return;
    const queries = (await allDashboards()).flatMap(({ json }) => panelQueries(json)).filter((q) => q.datasourceType === 'prometheus');
    assert.ok(queries.length > 50, `found ${queries.length} PromQL queries`);
    const result = await checkPromqlSyntax(promtool, queries.map((q) => ({ name: `${q.dashboard} / #${q.panelId} ${q.panel} / ${q.refId}`, expr: substituteVariables(q.expr) })));
    assert.deepEqual(result.failures, []);
    assert.ok(result.ok, result.output);
  });

  it('the promtool check names a broken query', async (t) => {
    const promtool = requireBinary(t, 'promtool', 'prometheus');
    if (!promtool) return;
    const result = await checkPromqlSyntax(promtool, [
      { name: 'fine', expr: 'sum by (service) (rate(http_requests_total[1m]))' },
      { name: 'chat / #3 "quoted" / A', expr: 'sum by (service (rate(http_requests_total[1m]))' },
      { name: 'fine', expr: 'up' },
    ]);
    assert.equal(result.ok, false);
    assert.equal(result.failures.length, 1, result.output);
    assert.equal(result.failures[0]?.name, 'chat / #3 "quoted" / A');
    assert.match(result.failures[0]?.message ?? '', /parse error/);
  });

  it('every node_* metric a panel names is exported by the real node_exporter', async (t) => {
    const exporter = requireBinary(t, 'prometheus-node-exporter', 'prometheus-node-exporter');
    if (!exporter) return;
    const port = await freePort();
    const child = spawn(exporter, [`--web.listen-address=127.0.0.1:${port}`], { stdio: 'ignore' });
    t.after(() => { child.kill('SIGTERM'); });
    let text = '';
    const deadline = Date.now() + 60_000;
    while (Date.now() < deadline) {
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        if (res.ok) { text = await res.text(); break; }
      } catch { /* not listening yet */ }
      await new Promise((r) => setTimeout(r, 200));
    }
    assert.ok(text.includes('node_cpu_seconds_total'), 'node_exporter answered /metrics');
    const exported = new Set([...text.matchAll(/^(node_[a-zA-Z0-9_]+)[{ ]/gm)].map((m) => m[1]));
    const used = new Set((await allDashboards()).flatMap(({ json }) => panelQueries(json)).flatMap((q) => metricNames(q.expr)).filter((m) => m.startsWith('node_')));
    assert.ok(used.size >= 8, `node-health uses ${used.size} node_* metrics`);
    for (const name of used) assert.ok(exported.has(name), `${name} is not exported by node_exporter`);
  });

  it('the catalogue builds every dashboard the contract names', () => {
    assert.deepEqual(Object.keys(DASHBOARDS).sort(), [...NAMES].sort());
  });
});

describe('PromQL selector extraction', () => {
  it('finds metric names and matchers, skipping functions, keywords, strings and ranges', () => {
    const expr = 'histogram_quantile(0.95, sum by (le, service) (rate(http_request_duration_seconds_bucket{service=~"$service", route!="/x{y}"}[$__rate_interval] offset 5m))) '
      + 'or on (service) (sum by (service) (up{job="node"}) * 0) / ignoring (le) group_left (route) node_load1 > bool 1e-3';
    assert.deepEqual(selectors(expr), [
      { metric: 'http_request_duration_seconds_bucket', matchers: 'service=~"$service", route!="/x{y}"' },
      { metric: 'up', matchers: 'job="node"' },
      { metric: 'node_load1', matchers: '' },
    ]);
    assert.deepEqual(metricNames('label_replace(instance:node_cpu_utilisation:ratio, "host", "$1", "instance", "(.*):.*") + time() - vector(0)'), ['instance:node_cpu_utilisation:ratio']);
    assert.deepEqual(selectors('{__name__="up"}'), [{ metric: '', matchers: '__name__="up"' }]);
    assert.deepEqual(metricNames("count_over_time(x_total{a='it\\'s'}[5m:1m]) unless `raw`"), ['x_total']);
  });

  it('rejects unbalanced expressions instead of guessing', () => {
    assert.throws(() => selectors('sum(rate(x[5m])'), /unbalanced/);
    assert.throws(() => selectors('x{a="b}'), /unterminated string/);
  });

  it('substitutes Grafana variables and refuses unknown ones', () => {
    assert.equal(substituteVariables('rate(x{service=~"$service"}[$__rate_interval]) / ${__range}'), 'rate(x{service=~".+"}[1m]) / 1h');
    assert.equal(substituteVariables('x{a="[[instance]]"}', { instance: 'h:1' }), 'x{a="h:1"}');
    assert.throws(() => substituteVariables('x{a="$servce"}'), /unknown dashboard variable \$servce/);
  });
});

describe('dashboard inspection', () => {
  it('flattens rows, collapsed rows and the legacy rows layout, and resolves each query\'s datasource', () => {
    const json: DashboardJson = {
      uid: 'x',
      panels: [
        { id: 1, type: 'row', title: 'open row', panels: [] },
        { id: 2, type: 'timeseries', title: 'top', datasource: { type: 'prometheus', uid: '${datasource}' }, targets: [{ refId: 'A', expr: 'up' }, { refId: 'B' }] },
        { id: 3, type: 'row', title: 'collapsed', panels: [{ id: 4, type: 'logs', datasource: { type: 'loki', uid: '${loki}' }, targets: [{ expr: '{service="a"}' }] }] },
        { id: 5, type: 'timeseries', title: 'mixed', datasource: { uid: '-- Mixed --' }, targets: [{ refId: 'A', expr: '{a="b"}', datasource: { type: 'loki', uid: 'loki' } }] },
      ],
      rows: [{ panels: [{ type: 'stat', title: 'legacy', targets: [{ refId: 'A', expr: 'sum(up)' }] }] }],
    };
    assert.deepEqual(flattenPanels(json).map((p) => p.title ?? p.id), ['top', 4, 'mixed', 'legacy']);
    assert.deepEqual(panelQueries(json).map((q) => [q.dashboard, q.panel, q.refId, q.datasourceType, q.datasourceUid, q.expr]), [
      ['x', 'top', 'A', 'prometheus', '${datasource}', 'up'],
      ['x', 'panel 4', '0', 'loki', '${loki}', '{service="a"}'],
      ['x', 'mixed', 'A', 'loki', 'loki', '{a="b"}'],
      ['x', 'legacy', 'A', 'prometheus', undefined, 'sum(up)'],
    ]);
    assert.equal(panelQueries({ panels: [{ title: 't', targets: [{ expr: 'up' }] }] })[0]?.dashboard, '(untitled dashboard)');
  });
});
