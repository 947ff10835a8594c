/**
 * Loki and the Grafana Alloy configuration that ships to it (deploy/loki, deploy/alloy). No
 * Loki or Alloy binary exists for Debian or npm, so these are checks of the committed files —
 * Loki's retention and structured-metadata settings, and the Alloy files parsed and followed
 * line by line (packages/monitoring/src/alloy) — tied to the real log-line contract: the JSON
 * schema the services' lines are validated against, and a line the real logger writes.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { createLogger, runWithContext } from '@samosachaat/observability';
import { alloyFilesConfigPath, alloyKubernetesConfigPath } from '../src/alloy-config.js';
import { alloyComponents, alloyProblems, attribute, innerBlocks, staticValue } from '../src/alloy/inspect.js';
import { parseAlloy, type Statement } from '../src/alloy/parse.js';
import { logPipelines } from '../src/alloy/pipeline.js';
import { repoRoot } from '../src/repo.js';

/** The only stream labels allowed (docs/logging-standard.md): everything else is a field or structured metadata. */
const ALLOWED_LABELS = ['app', 'container', 'level', 'namespace', 'pod', 'service'];

async function yamlFile<T>(path: string): Promise<T> {
  return parse(await readFile(join(repoRoot, path), 'utf8')) as T;
}

async function alloyFile(path: string): Promise<Statement[]> {
  return parseAlloy(await readFile(join(repoRoot, path), 'utf8'));
}

/** The blocks of the `loki.process` stage `name` in a committed file. */
async function stages(path: string, name: string): Promise<Array<Extract<Statement, { type: 'block' }>>> {
  const processes = alloyComponents(await alloyFile(path)).filter((c) => c.type === 'loki.process');
  return processes.flatMap((p) => innerBlocks(p.block)).filter((b) => b.name === name);
}

describe('Loki', () => {
  it('keeps logs 30 days: compactor retention on, retention_period 720h', async () => {
    const loki = await yamlFile<Record<string, Record<string, unknown>>>('deploy/loki/loki.yml');
    assert.equal(loki.limits_config?.retention_period, '720h');
    assert.equal(loki.compactor?.retention_enabled, true);
    // Loki 3 refuses retention without a store for delete requests.
    assert.ok(loki.compactor?.delete_request_store, 'compactor.delete_request_store is set');
    assert.equal(loki.limits_config?.max_query_lookback, '720h');
  });

  it('accepts structured metadata (needs the tsdb index, schema v13)', async () => {
    const loki = await yamlFile<{ limits_config: Record<string, unknown>; schema_config: { configs: Array<Record<string, unknown>> } }>('deploy/loki/loki.yml');
    assert.equal(loki.limits_config.allow_structured_metadata, true);
    const latest = loki.schema_config.configs.at(-1);
    assert.equal(latest?.store, 'tsdb');
    assert.equal(latest?.schema, 'v13');
  });
});

describe('Grafana Alloy (deploy/alloy)', () => {
  it('ships from files (single host) and from Kubernetes pods, both files valid', async () => {
    for (const path of [alloyFilesConfigPath, alloyKubernetesConfigPath]) {
      const statements = await alloyFile(path);
      assert.deepEqual(alloyProblems(statements), [], path);
      const write = alloyComponents(statements).find((c) => c.type === 'loki.write');
      const endpoint = innerBlocks(write?.block as Extract<Statement, { type: 'block' }>).find((b) => b.name === 'endpoint');
      const url = attribute(endpoint as Extract<Statement, { type: 'block' }>, 'url');
      assert.ok(url?.type === 'call' && staticValue(url.args[1])?.toString().endsWith('/loki/api/v1/push'), `${path}: pushes to /loki/api/v1/push`);
    }
    assert.ok(alloyComponents(await alloyFile(alloyKubernetesConfigPath)).some((c) => c.type === 'discovery.kubernetes'));
  });

  it('makes labels only of service, level, namespace, app, pod and container', async () => {
    for (const path of [alloyFilesConfigPath, alloyKubernetesConfigPath]) {
      for (const pipeline of logPipelines(await alloyFile(path))) {
        assert.deepEqual(pipeline.labels.filter((name) => !ALLOWED_LABELS.includes(name)), [], `${path} labels: ${pipeline.labels.join(', ')}`);
        assert.ok(pipeline.labels.includes('service') && pipeline.labels.includes('level'), `${path} labels service and level`);
      }
    }
    const [pods] = logPipelines(await alloyFile(alloyKubernetesConfigPath));
    assert.deepEqual(pods?.labels, ALLOWED_LABELS, 'the Kubernetes file adds namespace, app, pod and container');
  });

  it('keeps trace_id and user_id as structured metadata, never as labels, read after the JSON is parsed', async () => {
    for (const path of [alloyFilesConfigPath, alloyKubernetesConfigPath]) {
      for (const pipeline of logPipelines(await alloyFile(path))) {
        assert.deepEqual(pipeline.structuredMetadata, ['trace_id', 'user_id'], `${path} structured metadata`);
        assert.ok(!pipeline.labels.some((name) => name === 'trace_id' || name === 'user_id'), `${path} labels no id`);
        assert.deepEqual(pipeline.problems, [], `${path}: every value is extracted before it is used`);
      }
    }
  });

  it('takes each line\'s time from its timestamp field, the same way in both files', async () => {
    for (const path of [alloyFilesConfigPath, alloyKubernetesConfigPath]) {
      const [timestamp, ...more] = await stages(path, 'stage.timestamp');
      assert.equal(more.length, 0, path);
      assert.deepEqual(Object.fromEntries(['source', 'format', 'action_on_failure'].map((name) => [name, staticValue(attribute(timestamp as Extract<Statement, { type: 'block' }>, name))])), { source: 'timestamp', format: 'RFC3339Nano', action_on_failure: 'fudge' }, path);
    }
  });

  it('extracts fields the log-line schema defines, and labels only required, bounded ones', async () => {
    const schema = JSON.parse(await readFile(join(repoRoot, 'packages/observability/schema/log-line.schema.json'), 'utf8')) as {
      required: string[]; properties: Record<string, { enum?: string[]; pattern?: string }>;
    };
    const [json] = await stages(alloyFilesConfigPath, 'stage.json');
    const expressions = staticValue(attribute(json as Extract<Statement, { type: 'block' }>, 'expressions')) as Record<string, string>;
    for (const [name, source] of Object.entries(expressions)) {
      assert.ok(source in schema.properties, `stage.json reads ${source}, which the log-line schema does not define`);
      assert.equal(name, source, 'fields keep their names');
    }
    const [labels] = await stages(alloyFilesConfigPath, 'stage.labels');
    for (const label of Object.keys(staticValue(attribute(labels as Extract<Statement, { type: 'block' }>, 'values')) as object)) {
      assert.ok(schema.required.includes(label), `label ${label} is always present`);
    }
    assert.deepEqual(schema.properties.level?.enum, ['debug', 'info', 'warning', 'error', 'critical'], 'level is a bounded label');
    assert.match(schema.properties.trace_id?.pattern ?? '', /\[0-9a-f\]\{32\}/, 'trace_id is unbounded: one value per request');
  });

  it('a line from the real logger carries what the pipeline reads, in a format RFC3339Nano parses', async () => {
    const lines: string[] = [];
    const handle = createLogger({ service: 'chat-api', destination: { write: (line: string) => { lines.push(line); } } });
    const traceId = '4bf92f3577b34da6a3ce929d0e0e4736';
    const before = Date.now();
    runWithContext({ trace_id: traceId, user_id: 'user-42' }, () => handle.logger.error({ status_code: 503 }, 'request_failed'));
    const after = Date.now();
    await handle.close();
    const line = JSON.parse(lines.at(-1) ?? '{}') as Record<string, unknown>;
    assert.equal(line.service, 'chat-api');
    assert.equal(line.level, 'error');
    assert.equal(line.trace_id, traceId);
    assert.equal(line.user_id, 'user-42');
    const [json] = await stages(alloyKubernetesConfigPath, 'stage.json');
    const expressions = staticValue(attribute(json as Extract<Statement, { type: 'block' }>, 'expressions')) as Record<string, string>;
    for (const field of Object.values(expressions)) assert.equal(typeof line[field], 'string', `the line has ${field}, which the pipeline reads`);
    // Go's time.RFC3339Nano layout accepts a fractional second and a Z zone.
    assert.match(String(line.timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    const at = Date.parse(String(line.timestamp));
    assert.ok(at >= before && at <= after, 'timestamp is the time of the event');
  });
});
