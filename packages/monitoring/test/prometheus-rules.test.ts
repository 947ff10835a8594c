/**
 * Proves deploy/prometheus with the real promtool: the configuration and rule files load,
 * every promtool unit test passes, every alert is complete (severity, summary, description,
 * runbook that exists), has a firing and a quiet test case, and reads only metrics that exist.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { before, describe, it } from 'node:test';
import { parse } from 'yaml';
import { requireBinary } from '../../../test/support/binaries.js';
import { freeLoopbackPort as freePort } from '../src/free-port.js';
import { prometheusDir, runbookBaseUrl, runbooksDir } from '../src/deploy-paths.js';
import { repoRoot } from '../src/repo.js';
import { prometheusConfigPath, renderCommittedPrometheusConfig } from '../src/prometheus-config.js';
import { baseMetricName, metricNames } from '../src/promql-names.js';
import { alertingRules, isAlertingRule, loadRuleFiles, loadRuleGroups, parseRuleFile, ruleFileNames, rulesDir, stringifyRuleGroups, writeTestOverlay, type RuleGroup } from '../src/rules.js';
import { scaled } from '../../../test/support/timeouts.js';

const testsDir = join(prometheusDir, 'tests');
const TIMEOUT_MS = 120_000;

/** Runs promtool; fails the test with promtool's own output when it exits non-zero. */
function promtool(bin: string, args: string[]): string {
  const result = spawnSync(bin, args, { cwd: repoRoot, encoding: 'utf8', timeout: scaled(TIMEOUT_MS) });
  const output = `${result.stdout ?? ''}${result.stderr ?? ''}`;
  assert.equal(result.status, 0, `promtool ${args.join(' ')} failed (exit ${result.status}${result.error ? `, ${result.error.message}` : ''}):\n${output}`);
  return output;
}

async function testFiles(): Promise<string[]> {
  return (await readdir(testsDir)).filter((f) => f.endsWith('.test.yml')).sort().map((f) => join(testsDir, f));
}

interface AlertCase {
  eval_time: string;
  alertname: string;
  exp_alerts?: Array<{ exp_labels?: Record<string, string>; exp_annotations?: Record<string, string> }>;
}

async function alertCases(): Promise<AlertCase[]> {
  const cases: AlertCase[] = [];
  for (const file of await testFiles()) {
    const doc = parse(await readFile(file, 'utf8')) as { tests?: Array<{ alert_rule_test?: AlertCase[] }> };
    for (const test of doc.tests ?? []) cases.push(...(test.alert_rule_test ?? []));
  }
  return cases;
}

/** Metric names docs/metrics.md documents (generated from the services' code). */
async function documentedMetrics(): Promise<Set<string>> {
  const text = await readFile(join(repoRoot, 'docs/metrics.md'), 'utf8');
  return new Set([...text.matchAll(/^\| `([a-zA-Z_:][\w:]*)` \|/gm)].map((m) => m[1] as string));
}

describe('deploy/prometheus with promtool', () => {
  let groups: RuleGroup[];
  before(async () => {
    groups = await loadRuleGroups();
  });

  it('prometheus.yml is valid and loads every rule file', (t) => {
    const bin = requireBinary(t, 'promtool', 'prometheus');
    if (!bin) return;
    const out = promtool(bin, ['check', 'config', prometheusConfigPath]);
    assert.match(out, new RegExp(`SUCCESS: ${ruleFileNames.length} rule files found`));
  });

  it('every rule file passes promtool check rules', async (t) => {
    const bin = requireBinary(t, 'promtool', 'prometheus');
    if (!bin) return;
    for (const file of await loadRuleFiles()) {
      const count = file.groups.reduce((n, g) => n + g.rules.length, 0);
      assert.match(promtool(bin, ['check', 'rules', file.path]), new RegExp(`SUCCESS: ${count} rules found`));
    }
  });

  it('every promtool unit test file passes', async (t) => {
    const bin = requireBinary(t, 'promtool', 'prometheus');
    if (!bin) return;
    const files = await testFiles();
    assert.ok(files.length >= 4, `expected the rule tests in ${testsDir}`);
    for (const file of files) assert.match(promtool(bin, ['test', 'rules', relative(repoRoot, file)]), /SUCCESS/);
  });

  it('the test overlay keeps every rule, changes only for and interval, and still passes promtool', async (t) => {
    const out = await mkdtemp(join(tmpdir(), 'prometheus-overlay-'));
    t.after(() => rm(out, { recursive: true, force: true }));
    const written = await writeTestOverlay(out, { forOverride: '5s', intervalOverride: '1s' });
    const original = await loadRuleFiles();
    assert.equal(written.length, original.length);
    for (const [i, path] of written.entries()) {
      const overlay = parseRuleFile(await readFile(path, 'utf8'), path);
      const strip = (gs: RuleGroup[]) => gs.map(({ interval: _i, ...g }) => ({ ...g, rules: g.rules.map((r) => (isAlertingRule(r) ? { ...r, for: undefined } : r)) }));
      assert.deepEqual(strip(overlay), strip(original[i]!.groups), `${path} differs from its source in more than for/interval`);
      for (const g of overlay) {
        assert.equal(g.interval, '1s');
        for (const r of g.rules) if (isAlertingRule(r)) assert.equal(r.for, '5s', `${r.alert} keeps its for`);
      }
    }
    const bin = requireBinary(t, 'promtool', 'prometheus');
    if (!bin) return;
    for (const path of written) promtool(bin, ['check', 'rules', path]);
  });

  it('every alert has severity, summary, description and a runbook_url to an existing runbook', () => {
    const alerts = alertingRules(groups);
    assert.ok(alerts.length >= 9);
    for (const rule of alerts) {
      const where = `alert ${rule.alert} (${rule.labels?.severity ?? 'no severity'})`;
      assert.ok(['critical', 'warning'].includes(rule.labels?.severity ?? ''), `${where}: labels.severity must be critical or warning`);
      for (const key of ['summary', 'description', 'runbook_url']) assert.ok(rule.annotations?.[key]?.trim(), `${where}: annotation ${key} is missing`);
      const url = rule.annotations!.runbook_url!;
      assert.equal(url, `${runbookBaseUrl}${rule.alert}.md`, `${where}: runbook_url must point at docs/runbooks/${rule.alert}.md`);
      assert.ok(existsSync(join(runbooksDir, `${rule.alert}.md`)), `${where}: docs/runbooks/${rule.alert}.md does not exist`);
    }
  });

  it('has all alerts the specification requires', () => {
    const names = new Set(alertingRules(groups).map((r) => r.alert));
    for (const name of ['HighCPU', 'HighMemory', 'DiskSpaceLow', 'High5xxRate', 'InferenceServiceDown', 'HighP99Latency', 'ServiceDown', 'SlowTimeToFirstToken', 'InferenceQueueBacklog']) {
      assert.ok(names.has(name), `alert ${name} is missing`);
    }
  });

  it('every alert (each severity) has a promtool case that fires and one that stays quiet', async () => {
    const cases = await alertCases();
    for (const rule of alertingRules(groups)) {
      const severity = rule.labels!.severity;
      const fires = cases.some((c) => c.alertname === rule.alert && (c.exp_alerts ?? []).some((a) => a.exp_labels?.severity === severity && a.exp_annotations?.summary && a.exp_annotations.description && a.exp_annotations.runbook_url));
      assert.ok(fires, `no promtool case proves ${rule.alert} (${severity}) fires with its labels and annotations`);
      const quiet = cases.some((c) => c.alertname === rule.alert && (c.exp_alerts ?? []).length === 0);
      assert.ok(quiet, `no promtool case proves ${rule.alert} stays quiet`);
    }
  });

  it('every recording rule is evaluated by a promql_expr_test', async () => {
    const tested = new Set<string>();
    for (const file of await testFiles()) {
      const doc = parse(await readFile(file, 'utf8')) as { tests?: Array<{ promql_expr_test?: Array<{ expr: string }> }> };
      for (const test of doc.tests ?? []) for (const e of test.promql_expr_test ?? []) for (const name of metricNames(e.expr)) tested.add(name);
    }
    for (const g of groups) for (const r of g.rules) if (!isAlertingRule(r)) assert.ok(tested.has(r.record), `recording rule ${r.record} has no promql_expr_test`);
  });

  it('every metric a rule reads is exported (docs/metrics.md), from node_exporter, up, or a recording rule', async () => {
    const documented = await documentedMetrics();
    assert.ok(documented.has('http_requests_total') && documented.has('inference_queue_depth'), 'could not read the metric tables of docs/metrics.md');
    const recorded = new Set(groups.flatMap((g) => g.rules).flatMap((r) => (isAlertingRule(r) ? [] : [r.record])));
    for (const g of groups) {
      for (const rule of g.rules) {
        const name = isAlertingRule(rule) ? `alert ${rule.alert}` : `recording rule ${rule.record}`;
        const metrics = metricNames(rule.expr);
        // SLO metadata (objective, budget, period) is a constant by design.
        const constant = !isAlertingRule(rule) && /^vector\([\d.]+\)$/.test(rule.expr.trim());
        assert.ok(metrics.length > 0 || constant, `${name}: no metric found in ${rule.expr}`);
        for (const m of metrics) {
          const known = documented.has(m) || documented.has(baseMetricName(m)) || m.startsWith('node_') || m === 'up' || recorded.has(m);
          assert.ok(known, `${name} reads ${m}, which no service exports (docs/metrics.md), nor node_exporter, nor a recording rule`);
        }
      }
    }
  });

  it('every node_* metric a rule reads is exported by the real node_exporter', async (t) => {
    const bin = requireBinary(t, 'prometheus-node-exporter');
    if (!bin) return;
    const port = await freePort();
    const child = spawn(bin, [`--web.listen-address=127.0.0.1:${port}`], { stdio: ['ignore', 'ignore', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (chunk: Buffer) => { stderr += chunk.toString(); });
    t.after(async () => {
      if (child.exitCode !== null || child.signalCode !== null) return;
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      await exited;
    });
    let body = '';
    const deadline = Date.now() + 60_000;
    while (!body && Date.now() < deadline) {
      if (child.exitCode !== null) assert.fail(`node_exporter exited (${child.exitCode}):\n${stderr}`);
      try {
        const res = await fetch(`http://127.0.0.1:${port}/metrics`);
        if (res.ok) body = await res.text();
      } catch {
        await new Promise((r) => setTimeout(r, 200));
      }
    }
    assert.ok(body, `node_exporter did not answer on 127.0.0.1:${port} within 60 s:\n${stderr}`);
    const exported = new Set([...body.matchAll(/^([a-zA-Z_:][\w:]*)[{ ]/gm)].map((m) => m[1] as string));
    const used = groups.flatMap((g) => g.rules).flatMap((r) => metricNames(r.expr)).filter((m) => m.startsWith('node_'));
    assert.ok(used.length >= 4);
    for (const m of used) assert.ok(exported.has(m), `${m} is used by a rule but node_exporter does not export it`);
  });

  it('every PromQL query in the runbooks parses and reads only existing metrics', async (t) => {
    const documented = await documentedMetrics();
    const recorded = new Set(groups.flatMap((g) => g.rules).flatMap((r) => (isAlertingRule(r) ? [] : [r.record])));
    const queries: Array<{ file: string; expr: string }> = [];
    for (const file of (await readdir(runbooksDir)).filter((f) => f.endsWith('.md')).sort()) {
      const text = await readFile(join(runbooksDir, file), 'utf8');
      for (const block of text.matchAll(/^([ \t]*)```promql\n([\s\S]*?)^[ \t]*```/gm)) {
        const indent = block[1]!.length;
        // One query per unindented line (relative to the fence); indented lines continue the previous query.
        for (const line of block[2]!.split('\n').map((l) => l.slice(Math.min(indent, l.length - l.trimStart().length)))) {
          if (line.trim() === '' || line.trimStart().startsWith('#')) continue;
          if (/^\s/.test(line) && queries.length > 0) queries[queries.length - 1]!.expr += `\n${line}`;
          else queries.push({ file, expr: line });
        }
      }
    }
    assert.ok(queries.length >= 30, `expected PromQL in every runbook, found ${queries.length} queries`);
    for (const q of queries) {
      for (const m of metricNames(q.expr)) {
        const known = documented.has(m) || documented.has(baseMetricName(m)) || m.startsWith('node_') || m === 'up' || recorded.has(m);
        assert.ok(known, `docs/runbooks/${q.file}: ${m} in "${q.expr}" is not an exported metric`);
      }
    }
    const bin = requireBinary(t, 'promtool', 'prometheus');
    if (!bin) return;
    // promtool check rules parses every expression: wrap each query as a recording rule.
    const dir = await mkdtemp(join(tmpdir(), 'runbook-promql-'));
    t.after(() => rm(dir, { recursive: true, force: true }));
    const file = join(dir, 'runbooks.rules.yml');
    await writeFile(file, stringifyRuleGroups([{ name: 'runbooks', rules: queries.map((q, i) => ({ record: `runbook:query_${i}`, expr: q.expr })) }]));
    const result = spawnSync(bin, ['check', 'rules', file], { encoding: 'utf8', timeout: scaled(TIMEOUT_MS) });
    assert.equal(result.status, 0, `a runbook query does not parse:\n${result.stdout}${result.stderr}\n${queries.map((q, i) => `query_${i} (${q.file}): ${q.expr}`).join('\n')}`);
  });

  it('the committed prometheus.yml is the rendered one (npm run monitoring:generate)', async () => {
    assert.equal(await readFile(prometheusConfigPath, 'utf8'), renderCommittedPrometheusConfig(), 'deploy/prometheus/prometheus.yml is stale: run npm run monitoring:generate');
    assert.ok(existsSync(join(rulesDir, 'recording.rules.yml')));
  });
});

