/**
 * Grafana Alloy configuration that ships the services' JSON log lines to Loki
 * (deploy/alloy/*.alloy), generated here and registered in generate.ts. Alloy replaces
 * Promtail, which reached end of life on 2026-03-02.
 *
 * Stream labels are only the low-cardinality ones: `service` and `level` from each JSON line,
 * and `namespace`, `app`, `pod`, `container` from Kubernetes discovery. `trace_id` and
 * `user_id` are structured metadata, never labels: one label value per request would explode
 * Loki's index (docs/logging-standard.md). Each line's time is its own `timestamp` field.
 *
 * Two files, one pipeline: `loki.process "samosachaat"` (parse, label, attach metadata, take
 * the line's time) and `loki.write "loki"` are the same text in both, so a single host and a
 * cluster store lines the same way. The field names come from the log-line schema
 * (packages/observability/schema/log-line.schema.json): the generator refuses a label that is
 * not a required field, or metadata the schema does not define.
 */
import { readFile } from 'node:fs/promises';
import type { Generator } from './generate.js';
import { repoPath } from './repo.js';
import { attr, block, comment, expr, renderAlloy, type AlloyStatement } from './alloy/syntax.js';

/** Repo-relative path of the single-host configuration (the files a platform writes to LOG_DIR). */
export const alloyFilesConfigPath = 'deploy/alloy/files.alloy';

/** Repo-relative path of the Kubernetes configuration (the DaemonSet of deploy/kubernetes/values/alloy.yaml). */
export const alloyKubernetesConfigPath = 'deploy/alloy/kubernetes.alloy';

/** Fields of every JSON line that become stream labels (required and bounded in the log-line schema). */
export const JSON_STREAM_LABELS = ['service', 'level'] as const;

/** Stream labels set from Kubernetes discovery, and the discovery label each comes from. */
export const KUBERNETES_STREAM_LABELS: Readonly<Record<string, string>> = {
  namespace: '__meta_kubernetes_namespace',
  app: '__meta_kubernetes_pod_label_app_kubernetes_io_name',
  pod: '__meta_kubernetes_pod_name',
  container: '__meta_kubernetes_pod_container_name',
};

/** Fields attached to each line as structured metadata: filterable without parsing, never labels. */
export const STRUCTURED_METADATA_FIELDS = ['trace_id', 'user_id'] as const;

/** The Kubernetes label that marks samosaChaat's pods (deploy/kubernetes/base). */
export const PART_OF_SELECTOR = 'app.kubernetes.io/part-of=samosachaat';

/** Loki refuses lines older than this (`reject_old_samples_max_age` in deploy/loki/loki.yml). */
export const OLDEST_ACCEPTED = '168h';

const LOG_LINE_SCHEMA = 'packages/observability/schema/log-line.schema.json';
const DEFAULT_PUSH_URL = 'http://localhost:3100/loki/api/v1/push';
const DEFAULT_LOG_DIR = '/var/lib/samosachaat/logs';

interface LogLineSchema {
  required: string[];
  properties: Record<string, unknown>;
}

/** Fails unless every label is a required field and every metadata field is defined. */
export function checkAgainstSchema(schema: LogLineSchema): void {
  for (const label of JSON_STREAM_LABELS) {
    if (!schema.required.includes(label)) throw new Error(`${LOG_LINE_SCHEMA}: stream label ${label} is not a required field of every line`);
  }
  for (const field of ['timestamp', ...STRUCTURED_METADATA_FIELDS]) {
    if (!(field in schema.properties)) throw new Error(`${LOG_LINE_SCHEMA}: the Alloy pipeline reads ${field}, which the log-line schema does not define`);
  }
}

const loggingBlock = block('logging', undefined, [attr('level', 'info'), attr('format', 'json')]);

/** The stages shared by both files: JSON fields to labels and metadata, the line's own time. */
function sharedProcess(): AlloyStatement[] {
  const sameName = (names: readonly string[]) => Object.fromEntries(names.map((name) => [name, '']));
  const extracted = ['timestamp', ...JSON_STREAM_LABELS, ...STRUCTURED_METADATA_FIELDS];
  return [
    comment('One pipeline for every source: the JSON line\'s bounded fields become labels, the ids\nstructured metadata, and its own timestamp (ISO-8601 UTC) the entry\'s time.'),
    block('loki.process', 'samosachaat', [
      attr('forward_to', [expr('loki.write.loki.receiver')]),
      block('stage.json', undefined, [attr('expressions', Object.fromEntries(extracted.map((name) => [name, name])))]),
      block('stage.labels', undefined, [attr('values', sameName(JSON_STREAM_LABELS))]),
      block('stage.structured_metadata', undefined, [attr('values', sameName(STRUCTURED_METADATA_FIELDS))]),
      block('stage.timestamp', undefined, [attr('source', 'timestamp'), attr('format', 'RFC3339Nano'), attr('action_on_failure', 'fudge')]),
      block('stage.label_drop', undefined, [attr('values', ['filename'])]),
    ]),
    block('loki.write', 'loki', [
      block('endpoint', undefined, [attr('url', expr(`coalesce(sys.env("LOKI_PUSH_URL"), "${DEFAULT_PUSH_URL}")`))]),
    ]),
  ];
}

function header(lines: string[]): AlloyStatement {
  return comment([...lines, `Generated by packages/monitoring/src/alloy-config.ts (npm run monitoring:generate): do not edit.`].join('\n'));
}

/** deploy/alloy/files.alloy: a single host, the `<LOG_DIR>/<service>-YYYY-MM-DD.log` files. */
export function renderFilesConfig(): string {
  return renderAlloy([
    header([
      'Grafana Alloy for samosaChaat on one machine: ships the JSON log files a platform started with',
      'LOG_DIR writes (<LOG_DIR>/<service>-YYYY-MM-DD.log; `npm start` uses .data/logs) to Loki.',
      'Run: SAMOSACHAAT_LOG_DIR=$PWD/.data/logs alloy run deploy/alloy/files.alloy --storage.path=/var/lib/alloy/data',
      `Environment: SAMOSACHAAT_LOG_DIR (default ${DEFAULT_LOG_DIR}), LOKI_PUSH_URL (default ${DEFAULT_PUSH_URL}).`,
      'Labels: service, level. Structured metadata: trace_id, user_id (docs/logging-standard.md).',
    ]),
    loggingBlock,
    comment(`Files not written to for ${OLDEST_ACCEPTED} hold lines Loki would refuse as too old.`),
    block('local.file_match', 'samosachaat_logs', [
      attr('path_targets', [{ __path__: expr(`coalesce(sys.env("SAMOSACHAAT_LOG_DIR"), "${DEFAULT_LOG_DIR}") + "/*.log"`) }]),
      attr('ignore_older_than', OLDEST_ACCEPTED),
    ]),
    block('loki.source.file', 'samosachaat_logs', [
      attr('targets', expr('local.file_match.samosachaat_logs.targets')),
      attr('forward_to', [expr('loki.process.samosachaat.receiver')]),
    ]),
    ...sharedProcess(),
  ]);
}

/** deploy/alloy/kubernetes.alloy: one Alloy per node (DaemonSet) reading its samosaChaat pods' logs. */
export function renderKubernetesConfig(): string {
  const relabel = Object.entries(KUBERNETES_STREAM_LABELS).map(([label, source]) => block('rule', undefined, [attr('source_labels', [source]), attr('target_label', label)]));
  return renderAlloy([
    header([
      'Grafana Alloy for samosaChaat on Kubernetes: a DaemonSet (deploy/kubernetes/values/alloy.yaml)',
      'reading the container logs of the samosaChaat pods on its node from /var/log/pods.',
      'Environment: HOSTNAME (the node name; the chart sets it), LOKI_PUSH_URL.',
      'Labels: service, level, namespace, app, pod, container. Structured metadata: trace_id, user_id.',
    ]),
    loggingBlock,
    comment('Only the pods on this node, and only samosaChaat\'s (the API server filters both).'),
    block('discovery.kubernetes', 'pods', [
      attr('role', 'pod'),
      block('selectors', undefined, [
        attr('role', 'pod'),
        attr('label', PART_OF_SELECTOR),
        attr('field', expr('"spec.nodeName=" + coalesce(sys.env("HOSTNAME"), constants.hostname)')),
      ]),
    ]),
    block('discovery.relabel', 'samosachaat_pods', [
      attr('targets', expr('discovery.kubernetes.pods.targets')),
      block('rule', undefined, [
        attr('source_labels', ['__meta_kubernetes_pod_label_app_kubernetes_io_part_of']),
        attr('regex', PART_OF_SELECTOR.split('=')[1] as string),
        attr('action', 'keep'),
      ]),
      ...relabel,
      comment('The kubelet writes each container\'s output under /var/log/pods/<namespace>_<pod>_<uid>/<container>/.'),
      block('rule', undefined, [
        attr('source_labels', ['__meta_kubernetes_pod_uid', '__meta_kubernetes_pod_container_name']),
        attr('separator', '/'),
        attr('target_label', '__path__'),
        attr('replacement', '/var/log/pods/*$1/*.log'),
      ]),
    ]),
    block('local.file_match', 'samosachaat_pods', [attr('path_targets', expr('discovery.relabel.samosachaat_pods.output'))]),
    block('loki.source.file', 'samosachaat_pods', [
      attr('targets', expr('local.file_match.samosachaat_pods.targets')),
      attr('forward_to', [expr('loki.process.cri.receiver')]),
    ]),
    comment('The container runtime\'s line format first; the CRI stream (stdout/stderr) says less than the level.'),
    block('loki.process', 'cri', [
      attr('forward_to', [expr('loki.process.samosachaat.receiver')]),
      block('stage.cri', undefined, []),
      block('stage.label_drop', undefined, [attr('values', ['stream'])]),
    ]),
    ...sharedProcess(),
  ]);
}

/** The generator registered in generate.ts: both Alloy files, checked against the log-line schema. */
export const alloyConfigGenerator: Generator = {
  name: 'alloy',
  files: async () => {
    checkAgainstSchema(JSON.parse(await readFile(repoPath(LOG_LINE_SCHEMA), 'utf8')) as LogLineSchema);
    return {
      [alloyFilesConfigPath]: renderFilesConfig(),
      [alloyKubernetesConfigPath]: renderKubernetesConfig(),
    };
  },
};
