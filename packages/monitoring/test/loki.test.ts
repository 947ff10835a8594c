/**
 * Loki and Promtail configuration (deploy/loki). No Loki or Promtail binary exists for
 * Debian, so these are structural checks of the YAML — label set, structured metadata,
 * retention — tied to the real log-line contract: the JSON schema the services' lines are
 * validated against, and a line the real logger writes.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { createLogger, runWithContext } from '@samosachaat/observability';
import { repoRoot } from '../src/repo.js';

/** The only stream labels allowed (SPEC §8): everything else is a field or structured metadata. */
const ALLOWED_LABELS = ['app', 'container', 'level', 'namespace', 'pod', 'service'];

type Stage = Record<string, unknown>;
interface ScrapeConfig {
  job_name: string;
  static_configs?: Array<{ labels?: Record<string, string> }>;
  kubernetes_sd_configs?: unknown[];
  relabel_configs?: Array<{ target_label?: string; action?: string }>;
  pipeline_stages: Stage[];
}

async function yamlFile<T>(path: string): Promise<T> {
  return parse(await readFile(join(repoRoot, path), 'utf8')) as T;
}

const stageOf = (stages: Stage[], name: string): Record<string, unknown> | undefined => stages.find((s) => name in s)?.[name] as Record<string, unknown> | undefined;

/**
 * The stream labels a scrape job produces: its static and relabelled target labels, the
 * `labels` stage, and the labels Promtail adds by itself (`filename` on file targets,
 * `stream` from the cri/docker stages), minus `labeldrop`.
 */
function streamLabels(job: ScrapeConfig): string[] {
  const labels = new Set<string>();
  for (const sc of job.static_configs ?? []) {
    for (const name of Object.keys(sc.labels ?? {})) labels.add(name);
    labels.add('filename');
  }
  for (const rc of job.relabel_configs ?? []) if (rc.target_label && (rc.action ?? 'replace') === 'replace') labels.add(rc.target_label);
  for (const stage of job.pipeline_stages) {
    if ('cri' in stage || 'docker' in stage) labels.add('stream');
    if ('labels' in stage) for (const name of Object.keys(stage.labels as object)) labels.add(name);
    if ('labeldrop' in stage) for (const name of stage.labeldrop as string[]) labels.delete(name);
  }
  // Labels starting with __ are internal to relabelling and never reach Loki.
  return [...labels].filter((name) => !name.startsWith('__')).sort();
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

describe('Promtail', () => {
  it('ships from files (single host) and from Kubernetes pods', async () => {
    const promtail = await yamlFile<{ scrape_configs: ScrapeConfig[]; clients: Array<{ url: string }> }>('deploy/loki/promtail.yml');
    assert.deepEqual(promtail.scrape_configs.map((job) => job.job_name), ['samosachaat-files', 'kubernetes-pods']);
    assert.match(promtail.clients[0]?.url ?? '', /\/loki\/api\/v1\/push\}?$/);
  });

  it('makes labels only of service, level, namespace, app, pod and container', async () => {
    const { scrape_configs: jobs } = await yamlFile<{ scrape_configs: ScrapeConfig[] }>('deploy/loki/promtail.yml');
    for (const job of jobs) {
      const labels = streamLabels(job);
      assert.deepEqual(labels.filter((name) => !ALLOWED_LABELS.includes(name)), [], `${job.job_name} labels: ${labels.join(', ')}`);
      assert.ok(labels.includes('service') && labels.includes('level'), `${job.job_name} labels service and level`);
    }
    const pods = jobs.find((job) => job.kubernetes_sd_configs);
    assert.deepEqual(streamLabels(pods as ScrapeConfig), ALLOWED_LABELS, 'the Kubernetes job adds namespace, app, pod and container');
  });

  it('the label check catches a high-cardinality label', () => {
    const leaky: ScrapeConfig = {
      job_name: 'leaky',
      static_configs: [{ labels: { __path__: '/x/*.log' } }],
      pipeline_stages: [{ cri: {} }, { json: { expressions: { trace_id: 'trace_id' } } }, { labels: { service: null, trace_id: null } }],
    };
    assert.deepEqual(streamLabels(leaky).filter((name) => !ALLOWED_LABELS.includes(name)), ['filename', 'stream', 'trace_id']);
  });

  it('keeps trace_id and user_id as structured metadata, never as labels', async () => {
    const { scrape_configs: jobs } = await yamlFile<{ scrape_configs: ScrapeConfig[] }>('deploy/loki/promtail.yml');
    for (const job of jobs) {
      const metadata = stageOf(job.pipeline_stages, 'structured_metadata');
      assert.deepEqual(Object.keys(metadata ?? {}).sort(), ['trace_id', 'user_id'], `${job.job_name} structured_metadata`);
      assert.ok(!streamLabels(job).some((name) => name === 'trace_id' || name === 'user_id'), `${job.job_name} labels no id`);
      // The stage must come after the json stage that extracts the ids.
      const order = job.pipeline_stages.map((stage) => Object.keys(stage)[0]);
      assert.ok(order.indexOf('json') < order.indexOf('structured_metadata'), `${job.job_name}: json before structured_metadata`);
      assert.ok(order.indexOf('json') < order.indexOf('labels'), `${job.job_name}: json before labels`);
    }
  });

  it('takes each line\'s time from its timestamp field; both jobs parse lines the same way', async () => {
    const { scrape_configs: jobs } = await yamlFile<{ scrape_configs: ScrapeConfig[] }>('deploy/loki/promtail.yml');
    const shared = (job: ScrapeConfig) => ['json', 'labels', 'structured_metadata', 'timestamp'].map((name) => stageOf(job.pipeline_stages, name));
    for (const job of jobs) {
      assert.deepEqual(stageOf(job.pipeline_stages, 'timestamp'), { source: 'timestamp', format: 'RFC3339Nano', action_on_failure: 'fudge' }, job.job_name);
    }
    assert.deepEqual(shared(jobs[0] as ScrapeConfig), shared(jobs[1] as ScrapeConfig));
  });

  it('extracts fields the log-line schema defines, and labels only required, bounded ones', async () => {
    const schema = JSON.parse(await readFile(join(repoRoot, 'packages/observability/schema/log-line.schema.json'), 'utf8')) as {
      required: string[]; properties: Record<string, { enum?: string[]; pattern?: string }>;
    };
    const { scrape_configs: jobs } = await yamlFile<{ scrape_configs: ScrapeConfig[] }>('deploy/loki/promtail.yml');
    const json = stageOf(jobs[0]?.pipeline_stages ?? [], 'json') as { expressions: Record<string, string> };
    for (const [name, source] of Object.entries(json.expressions)) {
      assert.ok(source in schema.properties, `json stage reads ${source}, which the log-line schema does not define`);
      assert.equal(name, source, 'fields keep their names');
    }
    for (const label of Object.keys(stageOf(jobs[0]?.pipeline_stages ?? [], 'labels') ?? {})) {
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
    // Go's time.RFC3339Nano layout accepts a fractional second and a Z zone.
    assert.match(String(line.timestamp), /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(\.\d+)?Z$/);
    const at = Date.parse(String(line.timestamp));
    assert.ok(at >= before && at <= after, 'timestamp is the time of the event');
  });
});
