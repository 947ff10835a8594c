/**
 * The generated Grafana Alloy configuration (deploy/alloy): it parses, every component and
 * argument is one Alloy documents, every reference resolves, and the lines reach Loki with
 * exactly the six low-cardinality labels and trace_id/user_id as structured metadata — worked
 * out by following them through the parsed file (alloy/pipeline.ts), not by reading our own
 * constants back. The checks are shown to catch the mistakes they exist for.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import {
  alloyConfigGenerator,
  alloyFilesConfigPath,
  alloyKubernetesConfigPath,
  checkAgainstSchema,
  OLDEST_ACCEPTED,
  PART_OF_SELECTOR,
  renderFilesConfig,
  renderKubernetesConfig,
} from './alloy-config.js';
import { alloyComponents, alloyProblems, attribute, innerBlocks, staticValue } from './alloy/inspect.js';
import { parseAlloy, type Statement } from './alloy/parse.js';
import { logPipelines } from './alloy/pipeline.js';
import { partOfLabel } from './kubernetes.js';
import { repoPath } from './repo.js';

/** The only stream labels allowed (docs/logging-standard.md): everything else is a field or metadata. */
const ALLOWED_LABELS = ['app', 'container', 'level', 'namespace', 'pod', 'service'];

const committed = async (path: string): Promise<string> => readFile(repoPath(path), 'utf8');

function blockText(text: string, head: string): string {
  const start = text.indexOf(`${head} {`);
  assert.ok(start >= 0, `no ${head}`);
  const end = text.indexOf('\n}\n', start);
  return text.slice(start, end + 3);
}

describe('the generated Alloy configuration', () => {
  it('is what the generator writes, for both files', async () => {
    const files = await alloyConfigGenerator.files();
    assert.deepEqual(Object.keys(files).sort(), [alloyFilesConfigPath, alloyKubernetesConfigPath]);
    assert.equal(await committed(alloyFilesConfigPath), files[alloyFilesConfigPath], 'run npm run monitoring:generate');
    assert.equal(await committed(alloyKubernetesConfigPath), files[alloyKubernetesConfigPath], 'run npm run monitoring:generate');
  });

  for (const [name, render] of [['files.alloy', renderFilesConfig], ['kubernetes.alloy', renderKubernetesConfig]] as const) {
    it(`${name}: parses, uses only documented components and arguments, and every reference resolves`, () => {
      const statements = parseAlloy(render());
      assert.deepEqual(alloyProblems(statements), []);
      const defined = alloyComponents(statements).map((c) => c.type);
      for (const needed of ['local.file_match', 'loki.source.file', 'loki.process', 'loki.write']) assert.ok(defined.includes(needed), `${name} defines ${needed}`);
    });
  }

  it('files.alloy: lines reach Loki labelled service and level, with trace_id and user_id as metadata', () => {
    const pipelines = logPipelines(parseAlloy(renderFilesConfig()));
    assert.equal(pipelines.length, 1);
    const [files] = pipelines;
    assert.deepEqual(files?.labels, ['level', 'service']);
    assert.deepEqual(files?.structuredMetadata, ['trace_id', 'user_id']);
    assert.deepEqual(files?.problems, []);
    assert.deepEqual(files?.path, ['loki.process.samosachaat', 'loki.write.loki']);
  });

  it('kubernetes.alloy: the six labels exactly, metadata, and the CRI format read before the JSON', () => {
    const [pods, ...more] = logPipelines(parseAlloy(renderKubernetesConfig()));
    assert.equal(more.length, 0);
    assert.deepEqual(pods?.labels, ALLOWED_LABELS);
    assert.deepEqual(pods?.structuredMetadata, ['trace_id', 'user_id']);
    assert.deepEqual(pods?.problems, []);
    assert.deepEqual(pods?.stages.slice(0, 3), ['stage.cri', 'stage.label_drop', 'stage.json']);
  });

  it('both files share one processing pipeline and one writer, word for word', () => {
    const files = renderFilesConfig();
    const pods = renderKubernetesConfig();
    for (const head of ['loki.process "samosachaat"', 'loki.write "loki"', 'logging']) assert.equal(blockText(files, head), blockText(pods, head), head);
  });

  it('keeps only samosaChaat\'s pods on the node it runs on, by the label the manifests set', () => {
    const statements = parseAlloy(renderKubernetesConfig());
    const [label, value] = Object.entries(partOfLabel)[0] as [string, string];
    assert.equal(PART_OF_SELECTOR, `${label}=${value}`);
    const discovery = alloyComponents(statements).find((c) => c.type === 'discovery.kubernetes');
    const selectors = innerBlocks(discovery?.block as Extract<Statement, { type: 'block' }>).find((b) => b.name === 'selectors');
    assert.ok(selectors, 'discovery.kubernetes has selectors');
    assert.equal(staticValue(attribute(selectors, 'label')), PART_OF_SELECTOR);
    const field = attribute(selectors, 'field');
    assert.ok(field?.type === 'binary' && staticValue(field.left) === 'spec.nodeName=', 'selects pods by node name');
    const relabel = alloyComponents(statements).find((c) => c.type === 'discovery.relabel');
    const keep = innerBlocks(relabel?.block as Extract<Statement, { type: 'block' }>).find((b) => staticValue(attribute(b, 'action')) === 'keep');
    assert.deepEqual(staticValue(attribute(keep as Extract<Statement, { type: 'block' }>, 'source_labels')), [`__meta_kubernetes_pod_label_${label.replace(/[./-]/g, '_')}`]);
    assert.equal(staticValue(attribute(keep as Extract<Statement, { type: 'block' }>, 'regex')), value);
  });

  it('reads no file older than Loki accepts (reject_old_samples_max_age in deploy/loki/loki.yml)', async () => {
    const loki = parse(await committed('deploy/loki/loki.yml')) as { limits_config: Record<string, unknown> };
    assert.equal(loki.limits_config.reject_old_samples, true);
    assert.equal(loki.limits_config.reject_old_samples_max_age, OLDEST_ACCEPTED);
    assert.match(renderFilesConfig(), new RegExp(`ignore_older_than = "${OLDEST_ACCEPTED}"`));
  });

  it('takes labels and metadata from the log-line schema: labels required and bounded, ids unbounded', async () => {
    const schema = JSON.parse(await committed('packages/observability/schema/log-line.schema.json')) as { required: string[]; properties: Record<string, { enum?: string[]; pattern?: string }> };
    assert.doesNotThrow(() => checkAgainstSchema(schema));
    assert.deepEqual(schema.properties.level?.enum, ['debug', 'info', 'warning', 'error', 'critical'], 'level is a bounded label');
    assert.match(schema.properties.trace_id?.pattern ?? '', /\[0-9a-f\]\{32\}/, 'trace_id is unbounded: one value per request');
    assert.throws(() => checkAgainstSchema({ ...schema, required: schema.required.filter((f) => f !== 'service') }), /stream label service is not a required field/);
    const { user_id: _dropped, ...withoutUser } = schema.properties;
    assert.throws(() => checkAgainstSchema({ ...schema, properties: withoutUser }), /reads user_id, which the log-line schema does not define/);
  });
});

describe('the Alloy checks catch', () => {
  const base = (process: string, extra = ''): string => [
    'local.file_match "f" {', '  path_targets = [{ __path__ = "/x/*.log", job = "x" }]', '}',
    'loki.source.file "f" {', '  targets = local.file_match.f.targets', '  forward_to = [loki.process.p.receiver]', '}',
    'loki.process "p" {', '  forward_to = [loki.write.w.receiver]', process, '}',
    'loki.write "w" {', '  endpoint {', '    url = "http://127.0.0.1:3100/loki/api/v1/push"', '  }', '}', extra,
  ].join('\n');

  it('a high-cardinality label, a source label left in, and metadata read before it is extracted', () => {
    const [leaky] = logPipelines(parseAlloy(base([
      'stage.labels { values = { trace_id = "" } }',
      'stage.structured_metadata { values = { user_id = "" } }',
      'stage.json { expressions = { trace_id = "trace_id", user_id = "" } }',
    ].join('\n'))));
    assert.deepEqual(leaky?.labels.filter((l) => !ALLOWED_LABELS.includes(l)), ['filename', 'job', 'trace_id']);
    assert.deepEqual(leaky?.problems.map((p) => p.replace(/^.*: /, '')), ['label trace_id reads "trace_id", which no earlier stage extracts', 'structured metadata user_id reads "user_id", which no earlier stage extracts']);
  });

  it('undefined components, unknown exports, arguments and blocks, missing required arguments', () => {
    const problems = alloyProblems(parseAlloy(base('stage.timestamp { source = "t" }\nstage.jsn {}\nbogus = 1', 'loki.source.file "g" {\n  targets = local.file_match.nope.targets\n  forward_to = [loki.write.w.output]\n}\nprometheus.scrape "s" {}\nlogging "x" {}')));
    assert.deepEqual(problems, [
      'loki.process.p > stage.timestamp: missing required argument format',
      'loki.process.p: unknown block stage.jsn',
      'loki.process.p: unknown argument bogus',
      'prometheus.scrape.s: unknown component',
      'logging.x: a configuration block takes no label',
      'loki.source.file.g.targets: local.file_match.nope.targets: no component local.file_match.nope is defined',
      'loki.source.file.g.forward_to: loki.write.w.output: loki.write exports receiver',
    ]);
  });

  it('values of the wrong type or outside the documented choices', () => {
    const process = [
      'stage.timestamp {', '  source = "t"', '  format = "RFC3339"', '  action_on_failure = "ignore"', '}',
      'stage.labels { values = ["service"] }',
      'stage.label_drop { values = "filename" }',
      'stage.cri { max_partial_lines = "100" }',
    ].join('\n');
    const extra = [
      'logging {', '  level = "verbose"', '}',
      'local.file_match "g" {', '  path_targets = local.file_match.f.targets', '  sync_period = "10 seconds"', '  ignore_older_than = 1 + 2', '}',
      'loki.source.file "g" {', '  targets = loki.write.w.receiver', '  forward_to = local.file_match.f.targets', '  tail_from_end = !false', '}',
    ].join('\n');
    assert.deepEqual(alloyProblems(parseAlloy(base(process, extra))), [
      'loki.process.p > stage.timestamp.action_on_failure: "ignore" is not one of fudge, skip',
      'loki.process.p > stage.labels.values: expected map(string), got list(string)',
      'loki.process.p > stage.label_drop.values: expected list(string), got string',
      'loki.process.p > stage.cri.max_partial_lines: expected number, got string',
      'logging.level: "verbose" is not one of debug, info, warn, error',
      'local.file_match.g.sync_period: "10 seconds" is not a duration (such as "10s" or "168h")',
      'local.file_match.g.ignore_older_than: expected duration, got number',
      'loki.source.file.g.targets: expected list(map(string)), got LogsReceiver',
      'loki.source.file.g.forward_to: expected list(LogsReceiver), got list(map(string))',
    ]);
    // What the generated files use passes: computed strings, targets from other components, receivers.
    assert.deepEqual(alloyProblems(parseAlloy(base('stage.cri {}', 'local.file_match "h" {\n  path_targets = [{ __path__ = coalesce(sys.env("D"), "/x") + "/*.log", a = constants.hostname }]\n  ignore_older_than = "1h30m"\n}'))), []);
  });

  it('what every stage and relabel rule it knows does to labels and metadata', () => {
    const relabel = [
      'discovery.kubernetes "k" {', '  role = "pod"', '}',
      'discovery.relabel "r" {', '  targets = discovery.kubernetes.k.targets',
      '  rule {', '    source_labels = ["__meta_kubernetes_namespace"]', '    target_label = "ns"', '  }',
      '  rule {', '    action = "hashmod"', '    modulus = 2', '    target_label = "shard"', '  }',
      '  rule {', '    action = "labeldrop"', '    regex = "sh.*"', '  }',
      '  rule {', '    action = "labelkeep"', '    regex = "ns|__.*"', '  }',
      '  rule {', '    action = "drop"', '    source_labels = ["ns"]', '    regex = "kube-system"', '  }',
      '}',
      'loki.write "x" {', '  external_labels = { cluster = "one" }', '  endpoint {', '    url = "http://127.0.0.1:3100/loki/api/v1/push"', '  }', '}',
    ].join('\n');
    const text = base([
      'forward_to = [loki.write.w.receiver, loki.write.x.receiver]',
      'stage.static_labels { values = { env = "prod", job = "y" } }',
      'stage.json { expressions = { a = "", b = "" } }',
      'stage.json {',
      '  source = "a"',
      '  expressions = { c = "" }',
      '}',
      'stage.structured_metadata { values = { a = "", b = "", c = "" } }',
      'stage.structured_metadata_drop { values = ["b"] }',
      'stage.label_keep { values = ["env", "ns", "filename"] }',
    ].join('\n'), relabel).replace('  forward_to = [loki.write.w.receiver]\n', '').replace('[{ __path__ = "/x/*.log", job = "x" }]', 'discovery.relabel.r.output');
    const pipelines = logPipelines(parseAlloy(text));
    assert.deepEqual(pipelines.map((p) => p.path.at(-1)), ['loki.write.w', 'loki.write.x'], 'fans out to both writers');
    assert.deepEqual(pipelines.map((p) => p.labels), [['env', 'filename', 'ns'], ['cluster', 'env', 'filename', 'ns']]);
    assert.deepEqual(pipelines[0]?.structuredMetadata, ['a', 'c']);
    assert.deepEqual(pipelines[0]?.problems, []);
    const broken = (process: string, extra = ''): (() => unknown) => () => logPipelines(parseAlloy(base(process, extra)));
    assert.throws(broken('stage.json { regex = "x.*" }'), /cannot tell which fields a stage\.json regex extracts/);
    assert.throws(broken('stage.structured_metadata { regex = "x.*" }'), /cannot tell which fields a stage\.structured_metadata regex takes/);
    assert.throws(() => logPipelines(parseAlloy(base('stage.cri {}').replace('forward_to = [loki.write.w.receiver]', 'forward_to = [loki.process.p.receiver]'))), /lines loop through loki\.process\.p/);
    assert.throws(() => logPipelines(parseAlloy(base('stage.cri {}').replace('forward_to = [loki.write.w.receiver]', 'forward_to = [local.file_match.f.targets]'))), /cannot follow lines into local\.file_match\.f/);
    assert.throws(() => logPipelines(parseAlloy(base('stage.cri {}').replace('forward_to = [loki.write.w.receiver]', 'forward_to = [loki.write.nope.receiver]'))), /no component loki\.write\.nope is defined/);
    assert.throws(() => logPipelines(parseAlloy(base('stage.cri {}').replace('targets = local.file_match.f.targets', 'targets = sys.env("X")'))), /cannot tell the labels of these targets/);
    assert.throws(() => logPipelines(parseAlloy(base('stage.cri {}').replace('targets = local.file_match.f.targets', 'targets = loki.write.w.receiver'))), /cannot tell the labels of loki\.write\.w/);
    const noTarget = 'discovery.kubernetes "k" {\n  role = "pod"\n}\ndiscovery.relabel "r" {\n  targets = discovery.kubernetes.k.targets\n  rule {\n    source_labels = ["a"]\n  }\n}\n';
    assert.throws(() => logPipelines(parseAlloy(base('stage.cri {}', noTarget).replace('[{ __path__ = "/x/*.log", job = "x" }]', 'discovery.relabel.r.output'))), /a replace rule without target_label/);
  });

  it('a rule or stage whose effect on labels it cannot tell, instead of guessing', () => {
    assert.throws(() => logPipelines(parseAlloy(base('stage.match { selector = "{a=\\"b\\"}" }'))), /cannot tell what stage\.match does to labels/);
    const labelmap = 'discovery.kubernetes "k" {\n  role = "pod"\n}\ndiscovery.relabel "r" {\n  targets = discovery.kubernetes.k.targets\n  rule {\n    action = "labelmap"\n    regex = "__meta_(.+)"\n  }\n}\n';
    const text = base('stage.cri {}', labelmap).replace('[{ __path__ = "/x/*.log", job = "x" }]', 'discovery.relabel.r.output');
    assert.throws(() => logPipelines(parseAlloy(text)), /cannot tell the labels a labelmap rule makes/);
  });
});
