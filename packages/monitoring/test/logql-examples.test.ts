/**
 * LogQL: every example in docs/logging-standard.md and every Loki query of the logs
 * dashboard parses with Grafana's LogQL grammar (@grafana/lezer-logql), and selects
 * streams only by labels Promtail actually creates.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { dashboardPath } from '../src/dashboards/generator.js';
import { panelQueries, substituteVariables, type DashboardJson } from '../src/dashboards/inspect.js';
import { logqlErrors, logqlExamples, streamSelectorLabels } from '../src/dashboards/logql.js';
import { repoRoot } from '../src/repo.js';

// The stream labels deploy/loki/promtail.yml creates (loki.test.ts proves it creates no others).
const LOKI_LABELS = new Set(['service', 'level', 'namespace', 'app', 'pod', 'container']);

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

  it('every example selects streams only by labels Promtail creates', async () => {
    for (const query of await docExamples()) {
      const labels = streamSelectorLabels(query);
      assert.ok(labels.length > 0, `no stream selector in: ${query}`);
      for (const label of labels) assert.ok(LOKI_LABELS.has(label), `${label} is not a Loki label (trace_id/user_id are structured metadata): ${query}`);
    }
  });
});

describe('LogQL of the logs dashboard', () => {
  it('every Loki panel query parses once Grafana variables are substituted', async () => {
    const queries = await dashboardLokiQueries();
    assert.ok(queries.length >= 5, `found ${queries.length} Loki queries`);
    assert.ok(queries.some((q) => q.expr.startsWith('{service=~"$service"} | json')), 'the logs panel parses JSON');
    assert.ok(queries.some((q) => q.expr.includes('| trace_id="$trace_id"')), 'a panel filters by the trace_id variable');
    for (const query of queries) {
      const text = substituteVariables(query.expr);
      assert.deepEqual(logqlErrors(text), [], `${query.panel} / ${query.refId} does not parse: ${text}`);
      for (const label of streamSelectorLabels(text)) assert.ok(LOKI_LABELS.has(label), `${query.panel}: ${label} is not a Loki label`);
    }
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

  it('finds stream selector labels and ignores label filters after the pipe', () => {
    assert.deepEqual(streamSelectorLabels('sum(rate({service="a", level=~"error"} | trace_id="x" | json | status_code >= 500 [5m]))'), ['level', 'service']);
    assert.deepEqual(streamSelectorLabels('{trace_id="4bf9"}'), ['trace_id']);
  });

  it('splits fenced examples into queries on comments and blank lines', () => {
    const md = 'text\n```logql\n# one\n{a="b"}\n\n# two, on two lines\nsum(rate({a="b"}\n  [5m]))\n```\n```sh\n{not="logql"}\n```\n';
    assert.deepEqual(logqlExamples(md), ['{a="b"}', 'sum(rate({a="b"}\n  [5m]))']);
  });
});
