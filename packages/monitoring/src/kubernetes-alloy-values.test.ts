/**
 * The grafana/alloy chart values (deploy/kubernetes/values/alloy.yaml): they carry the
 * generated Kubernetes configuration unchanged, push to the Loki gateway the Loki values
 * install, and the pod the chart builds from them is a valid Kubernetes object whose mounts
 * all have volumes. The pod is assembled the way the chart's templates do (its config volume
 * at /etc/alloy, /var/log when mounts.varlog is on, HOSTNAME from the node name, then the
 * extra volumes, mounts and variables of the values) and validated against the Kubernetes
 * schemas (kubernetes-models); no cluster or Helm is needed.
 */
import assert from 'node:assert/strict';
import { readFile } from 'node:fs/promises';
import { describe, it } from 'node:test';
import { parse } from 'yaml';
import { DaemonSet } from 'kubernetes-models/apps/v1';
import { ClusterRole } from 'kubernetes-models/rbac.authorization.k8s.io/v1';
import { alloyKubernetesConfigPath, renderKubernetesConfig } from './alloy-config.js';
import { alloyValues, alloyValuesPath, clusterLokiPushUrl, renderAlloyValues } from './kubernetes-alloy-values.js';
import { clusterDatasourceUrls } from './kubernetes-values.js';
import { repoPath } from './repo.js';

interface Values {
  controller: { type: string; volumes: { extra: Array<Record<string, unknown> & { name: string }> } };
  alloy: {
    configMap: { create: boolean; content: string };
    storagePath: string;
    mounts: { varlog: boolean; extra: Array<{ name: string; mountPath: string; readOnly?: boolean }> };
    extraEnv: Array<{ name: string; value: string }>;
    securityContext: Record<string, unknown>;
    resources: Record<string, unknown>;
  };
  rbac: { rules: Array<{ apiGroups: string[]; resources: string[]; verbs: string[] }>; clusterRules: unknown[] };
  serviceMonitor: { enabled: boolean };
}

const committedValues = async (): Promise<Values> => parse(await readFile(repoPath(alloyValuesPath), 'utf8')) as Values;

/** The DaemonSet the chart renders from `values` (templates/controllers/_pod.yaml, containers/_agent.yaml). */
function chartDaemonSet(values: Values): Record<string, unknown> {
  const { alloy, controller } = values;
  return {
    apiVersion: 'apps/v1',
    kind: 'DaemonSet',
    metadata: { name: 'alloy', namespace: 'monitoring' },
    spec: {
      selector: { matchLabels: { 'app.kubernetes.io/name': 'alloy' } },
      template: {
        metadata: { labels: { 'app.kubernetes.io/name': 'alloy' } },
        spec: {
          serviceAccountName: 'alloy',
          containers: [{
            name: 'alloy',
            image: 'docker.io/grafana/alloy:v1',
            args: ['run', '/etc/alloy/config.alloy', `--storage.path=${alloy.storagePath}`],
            env: [{ name: 'HOSTNAME', valueFrom: { fieldRef: { fieldPath: 'spec.nodeName' } } }, ...alloy.extraEnv],
            securityContext: alloy.securityContext,
            resources: alloy.resources,
            volumeMounts: [
              { name: 'config', mountPath: '/etc/alloy' },
              ...(alloy.mounts.varlog ? [{ name: 'varlog', mountPath: '/var/log', readOnly: true }] : []),
              ...alloy.mounts.extra,
            ],
          }],
          volumes: [
            { name: 'config', configMap: { name: 'alloy' } },
            ...(alloy.mounts.varlog ? [{ name: 'varlog', hostPath: { path: '/var/log' } }] : []),
            ...controller.volumes.extra,
          ],
        },
      },
    },
  };
}

describe('grafana/alloy values', () => {
  it('are what the generator writes, and carry deploy/alloy/kubernetes.alloy unchanged', async () => {
    assert.equal(await readFile(repoPath(alloyValuesPath), 'utf8'), renderAlloyValues(), 'run npm run monitoring:generate');
    const values = await committedValues();
    assert.equal(values.alloy.configMap.create, true);
    assert.equal(values.alloy.configMap.content, await readFile(repoPath(alloyKubernetesConfigPath), 'utf8'));
    assert.equal(values.controller.type, 'daemonset', 'one Alloy per node reads that node\'s pod logs');
  });

  it('push to the gateway of the Loki release the Loki values install', async () => {
    const values = await committedValues();
    assert.equal(clusterLokiPushUrl, `${clusterDatasourceUrls.loki}/loki/api/v1/push`);
    assert.deepEqual(values.alloy.extraEnv, [{ name: 'LOKI_PUSH_URL', value: clusterLokiPushUrl }]);
    assert.match(renderKubernetesConfig(), /sys\.env\("LOKI_PUSH_URL"\)/, 'the configuration reads the variable the values set');
    const loki = parse(await readFile(repoPath('deploy/kubernetes/values/loki.yaml'), 'utf8')) as { gateway: { enabled: boolean } };
    assert.equal(loki.gateway.enabled, true);
  });

  it('build a valid pod: host logs read-only, read positions on the node, every mount backed by a volume', async () => {
    const values = await committedValues();
    const daemonSet = chartDaemonSet(values);
    assert.doesNotThrow(() => new DaemonSet(structuredClone(daemonSet) as never).validate());
    const pod = (daemonSet.spec as { template: { spec: { containers: Array<{ volumeMounts: Array<{ name: string; mountPath: string; readOnly?: boolean }> }>; volumes: Array<{ name: string; hostPath?: { path: string } }> } } }).template.spec;
    const volumes = new Map(pod.volumes.map((v) => [v.name, v]));
    const mounts = pod.containers[0]?.volumeMounts ?? [];
    for (const mount of mounts) assert.ok(volumes.has(mount.name), `mount ${mount.name} has no volume`);
    assert.equal(mounts.find((m) => m.mountPath === '/var/log')?.readOnly, true);
    const storage = mounts.find((m) => values.alloy.storagePath.startsWith(`${m.mountPath}/`));
    assert.ok(storage && volumes.get(storage.name)?.hostPath, 'storagePath is on a hostPath volume');
    assert.ok(mounts.some((m) => m.mountPath === '/tmp'), '/tmp is writable under a read-only root');
    const security = values.alloy.securityContext;
    assert.equal(security.readOnlyRootFilesystem, true);
    assert.equal(security.allowPrivilegeEscalation, false);
    assert.deepEqual((security.capabilities as { drop: string[] }).drop, ['ALL']);
  });

  it('grant only reading pods: no Secrets, ConfigMaps or cluster-wide extras', async () => {
    const values = await committedValues();
    assert.deepEqual(values.rbac.rules, [{ apiGroups: [''], resources: ['pods'], verbs: ['get', 'list', 'watch'] }]);
    assert.deepEqual(values.rbac.clusterRules, []);
    assert.doesNotThrow(() => new ClusterRole({ metadata: { name: 'alloy' }, rules: values.rbac.rules }).validate());
    assert.equal(values.serviceMonitor.enabled, true, 'Alloy\'s own metrics are scraped');
  });

  it('refuse a configuration the chart\'s tpl would evaluate as a template', () => {
    assert.throws(() => alloyValues('x = "{{ .Values }}"\n'), /contains "\{\{"/);
  });
});
