/**
 * LogQL: every example in docs/logging-standard.md and every Loki query of the logs
 * dashboard parses with Grafana's LogQL grammar (@grafana/lezer-logql), selects streams only
 * by labels the committed Grafana Alloy configuration (deploy/alloy) actually sets, and
 * filters before parsing only on those labels or the structured metadata Alloy attaches. The
 * labels are worked out by following lines through the parsed Alloy files, not listed here.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dashboardPath } from '../src/dashboards/generator.js';
import { panelQueries, substituteVariables, type DashboardJson } from '../src/dashboards/inspect.js';
import { logqlErrors, logqlExamples, streamSelectorLabels, unparsedLabelFilters } from '../src/dashboards/logql.js';
import { alloyFilesConfigPath, alloyKubernetesConfigPath } from '../src/alloy-config.js';
import { parseAlloy } from '../src/alloy/parse.js';
import { logPipelines } from '../src/alloy/pipeline.js';
import { repoRoot } from '../src/repo.js';

/** The stream labels and structured metadata the committed Alloy files give lines, across both. */
async function alloySets(): Promise<{ labels: Set<string>; metadata: Set<string> }> {
  const labels = new Set<string>();
  const metadata = new Set<string>();
  for (const path of [alloyFilesConfigPath, alloyKubernetesConfigPath]) {
    for (const pipeline of logPipelines(parseAlloy(await readFile(join(repoRoot, path), 'utf8')))) {
      for (const label of pipeline.labels) labels.add(label);
      for (const key of pipeline.structuredMetadata) metadata.add(key);
    }
  }
  return { labels, metadata };
}

/** The six Loki panels of the logs dashboard. */
const LOKI_PANELS = [
  'Error lines per second by service',
  'Log volume by level',
  '5xx answers logged, by service',
  'Logs',
  'One request across services (trace id)',
  'Errors',
];

async function docExamples(): Promise<string[]> {
  return logqlExamples(await readFile(join(repoRoot, 'docs/logging-standard.md'), 'utf8'));
}

async function dashboardLokiQueries() {
  const json = JSON.parse(await readFile(join(repoRoot, dashboardPath('logs')), 'utf8')) as DashboardJson;
  return panelQueries(json).filter((q) => q.datasourceType === 'loki');
}

describe('LogQL examples in docs/logging-standard.md', () => {
  it('has examples for each kind of question', async () => {
    const examples = await docExamples();
    assert.ok(examples.length >= 15, `found ${examples.length} examples`);
    const has = (pattern: RegExp, what: string) => assert.ok(examples.some((q) => pattern.test(q)), `no example ${what}`);
    has(/\| trace_id="[0-9a-f]{32}"/, 'filtering by trace_id');
    has(/sum by \(service\) \(rate\(\{[^}]*level=~"error\|critical"/, 'of errors per service');
    has(/rate\(\{[^}]*\} \|= "\w+"/, 'of the rate of one message');
    has(/\| json \|/, 'parsing JSON');
    has(/\| line_format "/, 'formatting lines');
    has(/\| unwrap \w+/, 'unwrapping a number');
  });

  it('every example parses without error nodes', async () => {
    for (const query of await docExamples()) {
      assert.deepEqual(logqlErrors(query), [], `does not parse: ${query}`);
    }
  });

  it('every example selects streams only by labels Alloy sets, and filters unparsed lines only on labels or metadata', async () => {
    const { labels: alloyLabels, metadata } = await alloySets();
    assert.deepEqual([...alloyLabels].sort(), ['app', 'container', 'level', 'namespace', 'pod', 'service']);
    for (const query of await docExamples()) {
      const labels = streamSelectorLabels(query);
      assert.ok(labels.length > 0, `no stream selector in: ${query}`);
      for (const label of labels) assert.ok(alloyLabels.has(label), `${label} is not a label Alloy sets (trace_id/user_id are structured metadata): ${query}`);
      for (const name of unparsedLabelFilters(query)) assert.ok(alloyLabels.has(name) || metadata.has(name), `${name} is filtered before any parser but Alloy attaches no such label or metadata: ${query}`);
    }
  });
});

describe('LogQL of the logs dashboard', () => {
  it('every Loki panel query parses once Grafana variables are substituted, and uses only what Alloy sets', async () => {
    const { labels: alloyLabels, metadata } = await alloySets();
    const queries = await dashboardLokiQueries();
    assert.deepEqual(queries.map((q) => q.panel).sort(), [...LOKI_PANELS].sort(), 'the six Loki panels, one query each');
    assert.ok(queries.some((q) => q.expr.startsWith('{service=~"$service"} | json')), 'the logs panel parses JSON');
    assert.ok(queries.some((q) => q.expr.includes('| trace_id="$trace_id"')), 'a panel filters by the trace_id variable');
    for (const query of queries) {
      const text = substituteVariables(query.expr);
      assert.deepEqual(logqlErrors(text), [], `${query.panel} / ${query.refId} does not parse: ${text}`);
      for (const label of streamSelectorLabels(text)) assert.ok(alloyLabels.has(label), `${query.panel}: ${label} is not a label Alloy sets`);
      for (const name of unparsedLabelFilters(text)) assert.ok(alloyLabels.has(name) || metadata.has(name), `${query.panel}: ${name} is filtered before | json but Alloy attaches no such label or metadata`);
    }
    const trace = queries.find((q) => q.expr.includes('| trace_id="$trace_id"'));
    assert.deepEqual(unparsedLabelFilters(substituteVariables(trace?.expr ?? '')), ['trace_id'], 'the trace panel filters on structured metadata, before parsing');
    assert.ok(metadata.has('trace_id'), 'Alloy attaches trace_id as structured metadata');
  });
});

describe('the LogQL check', () => {
  it('reports broken queries', () => {
    for (const broken of [
      '{service="chat-api"',
      'sum by (service (rate({service="x"}[5m]))',
      '{service="chat-api"} | json |',
      '{service="chat-api"} | line_format {{.message}}',
      'rate({service="x"})',
      '',
    ]) {
      assert.ok(logqlErrors(broken).length > 0, `accepted: ${broken}`);
    }
    assert.match(logqlErrors('{service="chat-api"} | json |')[0]?.near ?? '', /json \|/);
  });

  it('finds the label filters that run before any parser', () => {
    assert.deepEqual(unparsedLabelFilters('{a="b"} |= "x" | trace_id="1" | user_id=~"u.*" and level="y" | logfmt | z="q"'), ['level', 'trace_id', 'user_id']);
    assert.deepEqual(unparsedLabelFilters('sum(rate({a="b"} | trace_id="t" [5m]))'), ['trace_id']);
    assert.deepEqual(unparsedLabelFilters('{a="b"} | json | trace_id="x"'), []);
    assert.deepEqual(unparsedLabelFilters('{a="b"} | json trace="trace_id" | x="y"'), []);
  });

  it('finds stream selector labels and ignores label filters after the pipe', () => {
    assert.deepEqual(streamSelectorLabels('sum(rate({service="a", level=~"error"} | trace_id="x" | json | status_code >= 500 [5m]))'), ['level', 'service']);
    assert.deepEqual(streamSelectorLabels('{trace_id="4bf9"}'), ['trace_id']);
  });

  it('splits fenced examples into queries on comments and blank lines', () => {
    const md = 'text\n```logql\n# one\n{a="b"}\n\n# two, on two lines\nsum(rate({a="b"}\n  [5m]))\n```\n```sh\n{not="logql"}\n```\n';
    assert.deepEqual(logqlExamples(md), ['{a="b"}', 'sum(rate({a="b"}\n  [5m]))']);
  });
});
