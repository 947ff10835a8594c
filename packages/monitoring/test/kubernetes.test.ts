/**
 * The Kubernetes manifests, as `kubectl kustomize` builds them (base, dev, prod): every object
 * validates against the Kubernetes / prometheus-operator schemas, every workload follows the
 * security and probe policy, the ServiceMonitors really select the services' metrics ports,
 * the PrometheusRule and the dashboard ConfigMaps are generated from their one source, and the
 * chart values keep the promised retention and sizes.
 */
import assert from 'node:assert/strict';
import { existsSync } from 'node:fs';
import { readdir, readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { describe, it, type TestContext } from 'node:test';
import { parse } from 'yaml';
import { envTrustProxy } from '@samosachaat/service-kit';
import { configFromEnv as webConfigFromEnv } from '@samosachaat/web/config';
import { requireBinary } from '../../../test/support/binaries.js';
import { kubernetesGenerator, partOfLabel } from '../src/kubernetes.js';
import { repoPath } from '../src/repo.js';
import { rulesDir } from '../src/rules.js';
import { ingressAllowed, kustomize, named, ofKind, podSpec, selects, validateObject, type Endpoint, type K8sObject, type LabelSelector } from './kubernetes-support.js';

const SERVICES = { auth: 8001, 'chat-api': 8002, inference: 8003, web: 3000 } as const;
const BUILDS = { base: 'deploy/kubernetes/base', dev: 'deploy/kubernetes/overlays/dev', prod: 'deploy/kubernetes/overlays/prod' } as const;
type Build = keyof typeof BUILDS;

const built = new Map<Build, K8sObject[]>();

/** 1-based number of the first line where two texts differ (short failure messages for big files). */
function firstDifference(a: string, b: string): number {
  const [x, y] = [a.split('\n'), b.split('\n')];
  const i = x.findIndex((line, n) => line !== y[n]);
  return (i === -1 ? x.length : i) + 1;
}

/** The objects of a build (built once); undefined when kubectl is missing (the test is skipped, or fails under CI). */
function objects(t: TestContext, build: Build): K8sObject[] | undefined {
  const kubectl = requireBinary(t, 'kubectl', 'kubectl');
  if (!kubectl) return undefined;
  let result = built.get(build);
  if (!result) {
    result = kustomize(kubectl, BUILDS[build]);
    built.set(build, result);
  }
  return result;
}

describe('kubectl kustomize', () => {
  for (const build of Object.keys(BUILDS) as Build[]) {
    it(`builds ${BUILDS[build]} and every object validates against its schema`, (t) => {
        const all = objects(t, build);
      if (!all) return;
      assert.ok(all.length > 20, `${build}: only ${all.length} objects`);
      for (const object of all) validateObject(object);
      const kinds = new Set(all.map((o) => o.kind));
      for (const kind of ['Namespace', 'Deployment', 'Service', 'ServiceMonitor', 'PrometheusRule', 'ConfigMap', 'Job', 'HorizontalPodAutoscaler', 'PodDisruptionBudget']) {
        assert.ok(kinds.has(kind), `${build}: no ${kind}`);
      }
      // Secrets are created by the operator (docs/deployment.md), never committed.
      assert.deepEqual(ofKind(all, 'Secret'), []);
    });
  }

  it('rejects an object of a kind it has no schema for, and a wrongly typed field', (t) => {
    const all = objects(t, 'prod');
    if (!all) return;
    const deployment = structuredClone(named(all, 'Deployment', 'chat-api'));
    validateObject(deployment);
    podSpec(deployment).containers[0]!.ports![0]!.containerPort = 'http' as never;
    assert.throws(() => validateObject(deployment), /Deployment samosachaat\/chat-api does not match the apps\/v1\/Deployment schema: .*containerPort must be integer/);
    const monitor = structuredClone(named(all, 'ServiceMonitor', 'inference'));
    (monitor.spec as { endpoints: unknown }).endpoints = 'http';
    assert.throws(() => validateObject(monitor), /ServiceMonitor samosachaat\/inference does not match/);
    assert.throws(() => validateObject({ apiVersion: 'example.com/v1', kind: 'Widget', metadata: { name: 'w' } }), /no schema for example.com\/v1\/Widget/);
  });

  it('puts every object of an overlay in its namespace, which it creates', (t) => {
    for (const [build, namespace] of [['dev', 'samosachaat-dev'], ['prod', 'samosachaat']] as const) {
      const all = objects(t, build);
      if (!all) return;
      assert.deepEqual(ofKind(all, 'Namespace').map((n) => n.metadata.name), [namespace]);
      for (const o of all.filter((x) => x.kind !== 'Namespace')) assert.equal(o.metadata.namespace, namespace, `${build}: ${o.kind} ${o.metadata.name}`);
      for (const o of all) assert.equal(o.metadata.labels?.['app.kubernetes.io/part-of'], 'samosachaat', `${build}: ${o.kind} ${o.metadata.name} lacks the part-of label`);
    }
  });
});

describe('workload policy', () => {
  for (const build of ['dev', 'prod'] as const) {
    it(`${build}: every service runs with probes, resources and a non-root read-only security context`, (t) => {
        const all = objects(t, build);
      if (!all) return;
      const deployments = ofKind(all, 'Deployment');
      assert.deepEqual(deployments.map((d) => d.metadata.name).sort(), Object.keys(SERVICES).sort());
      for (const workload of [...deployments, ...ofKind(all, 'Job')]) {
        const spec = podSpec(workload);
        const id = `${build} ${workload.kind} ${workload.metadata.name}`;
        assert.equal(spec.securityContext?.runAsNonRoot, true, `${id}: pod runAsNonRoot`);
        assert.ok((spec.securityContext?.runAsUser ?? 0) > 0, `${id}: pod runAsUser`);
        assert.equal(spec.automountServiceAccountToken, false, `${id}: no API token`);
        assert.equal(spec.enableServiceLinks, false, `${id}: no service link variables`);
        const volumes = new Map((spec.volumes ?? []).map((v) => [v.name, v]));
        for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
          const cid = `${id} container ${c.name}`;
          assert.ok(c.resources?.requests?.cpu && c.resources.requests.memory, `${cid}: requests`);
          assert.ok(c.resources?.limits?.cpu && c.resources.limits.memory, `${cid}: limits`);
          assert.equal(c.securityContext?.runAsNonRoot, true, `${cid}: runAsNonRoot`);
          assert.equal(c.securityContext?.readOnlyRootFilesystem, true, `${cid}: readOnlyRootFilesystem`);
          assert.equal(c.securityContext?.allowPrivilegeEscalation, false, `${cid}: allowPrivilegeEscalation`);
          assert.deepEqual(c.securityContext?.capabilities?.drop, ['ALL'], `${cid}: capabilities`);
          // A read-only root: whatever the process may write goes to an emptyDir.
          for (const m of c.volumeMounts ?? []) assert.ok(volumes.has(m.name), `${cid}: mount ${m.name} has no volume`);
        }
        // Alloy (deploy/alloy/kubernetes.alloy) keeps pods by part-of and labels their streams app=<app.kubernetes.io/name>.
        const podLabels = (workload.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
        assert.equal(podLabels['app.kubernetes.io/part-of'], 'samosachaat', `${id}: pod part-of label`);
        assert.ok(podLabels['app.kubernetes.io/name'], `${id}: pod name label`);
        if (workload.kind !== 'Deployment') continue;
        assert.equal(podLabels['app.kubernetes.io/name'], workload.metadata.name, `${id}: pod name label`);
        const main = spec.containers.find((c) => c.name === workload.metadata.name);
        assert.ok(main, `${id}: container named after the service`);
        const port = SERVICES[workload.metadata.name as keyof typeof SERVICES];
        assert.deepEqual(main.ports?.map((p) => [p.name, p.containerPort]), [['http', port]], `${id}: port`);
        assert.equal(main.env?.find((e) => e.name === 'PORT')?.value, String(port), `${id}: PORT`);
        assert.deepEqual(main.livenessProbe?.httpGet, { path: '/health', port: 'http' }, `${id}: liveness`);
        assert.deepEqual(main.readinessProbe?.httpGet, { path: '/ready', port: 'http' }, `${id}: readiness`);
        const tmp = main.volumeMounts?.find((m) => m.mountPath === '/tmp');
        assert.ok(tmp && volumes.get(tmp.name)?.emptyDir !== undefined, `${id}: /tmp is an emptyDir`);
      }
    });
  }

  it('configures the cluster mode: not local, listening on every interface, logs on stdout only', (t) => {
    for (const build of ['dev', 'prod'] as const) {
      const all = objects(t, build);
      if (!all) return;
      const config = ofKind(all, 'ConfigMap').find((c) => c.metadata.name.startsWith('samosachaat-config-'));
      assert.ok(config?.data, `${build}: samosachaat-config`);
      assert.equal(config.data.SAMOSACHAAT_LOCAL, 'false');
      assert.equal(config.data.HOST, '0.0.0.0');
      assert.equal(config.data.LOG_FORMAT, 'json');
      for (const unset of ['LOG_DIR', 'DATA_DIR', 'DEV_LOGIN']) assert.equal(config.data[unset], undefined, `${build}: ${unset} must be unset`);
      assert.equal(config.data.LOG_LEVEL, build === 'dev' ? 'debug' : 'info');
      // Every configMapRef points at a ConfigMap of the build (kustomize rewrote the hashed names).
      const names = new Set(ofKind(all, 'ConfigMap').map((c) => c.metadata.name));
      for (const w of [...ofKind(all, 'Deployment'), ...ofKind(all, 'Job')]) {
        for (const c of podSpec(w).containers) for (const ref of c.envFrom ?? []) if (ref.configMapRef) assert.ok(names.has(ref.configMapRef.name), `${w.metadata.name}: ${ref.configMapRef.name}`);
      }
    }
  });

  it('references only the Secrets docs/deployment.md tells the operator to create', async (t) => {
    const all = objects(t, 'prod');
    if (!all) return;
    const docs = await readFile(repoPath('docs/deployment.md'), 'utf8');
    const referenced = new Set<string>();
    for (const w of [...ofKind(all, 'Deployment'), ...ofKind(all, 'Job')]) {
      const spec = podSpec(w);
      for (const c of [...spec.containers, ...(spec.initContainers ?? [])]) {
        for (const e of c.env ?? []) if (e.valueFrom?.secretKeyRef) referenced.add(e.valueFrom.secretKeyRef.name);
        for (const r of c.envFrom ?? []) if (r.secretRef) referenced.add(r.secretRef.name);
      }
      for (const v of spec.volumes ?? []) if (v.secret) referenced.add(v.secret.secretName);
    }
    assert.ok(referenced.size >= 4, [...referenced].join(', '));
    for (const name of referenced) assert.match(docs, new RegExp(`kubectl[^\\n]*create secret generic ${name}\\b`), `docs/deployment.md does not say how to create Secret ${name}`);
  });

  it('runs one image: the entry point of every container exists in the repository', (t) => {
    for (const build of ['dev', 'prod'] as const) {
      const all = objects(t, build);
      if (!all) return;
      for (const w of [...ofKind(all, 'Deployment'), ...ofKind(all, 'Job')]) {
        for (const c of podSpec(w).containers) {
          assert.match(c.image ?? '', build === 'dev' ? /^ghcr\.io\/samosachaat\/samosachaat:dev$/ : /^ghcr\.io\/samosachaat\/samosachaat:\d+\.\d+\.\d+$/);
          // dev's moving tag is pulled on every start; prod's pinned release needs no pull policy.
          assert.equal(c.imagePullPolicy, build === 'dev' ? 'Always' : undefined, `${w.metadata.name}: imagePullPolicy`);
          const [bin, script] = c.command ?? [];
          assert.equal(bin, 'node', `${w.metadata.name}: runs node`);
          // dist/<x>.js is compiled from src/<x>.ts (each package's tsconfig: rootDir src, outDir dist).
          const source = (script ?? '').replace(/\/dist\/(.+)\.js$/, '/src/$1.ts');
          assert.ok(existsSync(repoPath(source)), `${w.metadata.name}: ${script} → ${source} does not exist`);
        }
      }
    }
  });
});

describe('network policies', () => {
  it('let exactly the callers each service has, and Prometheus from namespace monitoring, connect', (t) => {
    const all = objects(t, 'prod');
    if (!all) return;
    const policies = ofKind(all, 'NetworkPolicy');
    const ns = (name: string) => ({ 'kubernetes.io/metadata.name': name });
    const pod = (name: string): Endpoint => ({ pod: (named(all, 'Deployment', name).spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels, namespace: ns('samosachaat') });
    const prometheus: Endpoint = { pod: { 'app.kubernetes.io/name': 'prometheus' }, namespace: ns('monitoring') };
    const stranger: Endpoint = { pod: { app: 'anything' }, namespace: ns('default') };
    const migrate = (named(all, 'Job', 'samosachaat-migrate').spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
    const callers: Record<string, string[]> = { auth: ['web', 'chat-api'], 'chat-api': ['web'], inference: ['chat-api', 'web'], web: [] };
    for (const [target, allowed] of Object.entries(callers)) {
      assert.ok(ingressAllowed(policies, prometheus, pod(target), 'http'), `Prometheus cannot scrape ${target}`);
      for (const source of Object.keys(callers).filter((s) => s !== target)) {
        assert.equal(ingressAllowed(policies, pod(source), pod(target), 'http'), allowed.includes(source) || target === 'web', `${source} → ${target}`);
      }
      assert.equal(ingressAllowed(policies, stranger, pod(target), 'http'), target === 'web', `another namespace → ${target}`);
      assert.equal(ingressAllowed(policies, pod('web'), pod(target), 'debug'), false, `${target}: a port it does not serve`);
    }
    assert.equal(ingressAllowed(policies, pod('web'), { pod: migrate, namespace: ns('samosachaat') }, 'http'), false, 'the migration Job accepts nothing');
    assert.equal(ingressAllowed([], stranger, pod('auth'), 'http'), true, 'no policy: not isolated');
  });

  it('prod: the Ingress leads to web, which believes the controller about the client, and auth believes web', (t) => {
    const all = objects(t, 'prod');
    if (!all) return;
    const ingress = named(all, 'Ingress', 'web');
    const spec = ingress.spec as { rules: Array<{ http: { paths: Array<{ backend: { service: { name: string; port: { name: string } } } }> } }> };
    const backend = spec.rules[0]?.http.paths[0]?.backend.service;
    assert.deepEqual(backend, { name: 'web', port: { name: 'http' } });
    const annotations = ingress.metadata.annotations ?? {};
    const web = webConfigFromEnv({ INTERNAL_API_KEY: 'k'.repeat(32) });
    assert.equal(annotations['nginx.ingress.kubernetes.io/proxy-buffering'], 'off', 'SSE events pass as they come');
    assert.ok(Number(annotations['nginx.ingress.kubernetes.io/proxy-read-timeout']) * 1000 >= web.proxyIdleTimeoutMs, 'a quiet stream lives as long as web lets it');
    assert.ok(parseInt(annotations['nginx.ingress.kubernetes.io/proxy-body-size'] ?? '0', 10) * 1024 >= web.bodyLimitBytes, 'bodies web accepts pass');
    // A pod address of the cluster (the controller's, web's) must be believed; nothing else set.
    const env = (name: string) => Object.fromEntries((podSpec(named(all, 'Deployment', name)).containers[0]?.env ?? []).filter((e) => e.value !== undefined).map((e) => [e.name, e.value as string]));
    for (const service of ['web', 'auth']) {
      const trust = envTrustProxy(env(service), 'TRUST_PROXY', false);
      assert.ok(Array.isArray(trust) && trust.includes('uniquelocal'), `${service}: TRUST_PROXY=${String(trust)} must cover the cluster's private pod addresses`);
    }
    assert.deepEqual(webConfigFromEnv({ INTERNAL_API_KEY: 'k'.repeat(32), ...env('web') }).trustProxy, ['uniquelocal'], 'web accepts the value');
  });
});

describe('scaling', () => {
  it('prod runs more replicas than dev, and every scaled service has an HPA and a PDB', (t) => {
    const dev = objects(t, 'dev');
    const prod = objects(t, 'prod');
    if (!dev || !prod) return;
    const replicas = (o: K8sObject) => (o.spec as { replicas?: number }).replicas;
    assert.ok(replicas(named(prod, 'Deployment', 'auth'))! > replicas(named(dev, 'Deployment', 'auth'))!);
    for (const name of ['chat-api', 'web', 'inference']) {
      const d: K8sObject = named(dev, 'HorizontalPodAutoscaler', name);
      const p: K8sObject = named(prod, 'HorizontalPodAutoscaler', name);
      const spec = (o: K8sObject) => o.spec as { minReplicas: number; maxReplicas: number; scaleTargetRef: { kind: string; name: string } };
      assert.ok(spec(p).minReplicas > spec(d).minReplicas, `${name}: prod minReplicas`);
      assert.ok(spec(p).maxReplicas > spec(d).maxReplicas, `${name}: prod maxReplicas`);
      assert.deepEqual([spec(p).scaleTargetRef.kind, spec(p).scaleTargetRef.name], ['Deployment', name]);
      // The HPA owns the count: a replicas field would reset it on every apply.
      assert.equal(replicas(named(prod, 'Deployment', name)), undefined, `${name}: Deployment sets replicas`);
    }
    for (const name of Object.keys(SERVICES)) {
      const pdb = named(prod, 'PodDisruptionBudget', name);
      const pods = (named(prod, 'Deployment', name).spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
      assert.ok(selects((pdb.spec as { selector: LabelSelector }).selector, pods), `${name}: PDB selects the pods`);
    }
  });
});

describe('monitoring objects', () => {
  it('ServiceMonitors scrape /metrics every 15 s from the port of the right Service', (t) => {
    const all = objects(t, 'prod');
    if (!all) return;
    const monitors = ofKind(all, 'ServiceMonitor');
    assert.deepEqual(monitors.map((m) => m.metadata.name).sort(), Object.keys(SERVICES).sort());
    for (const monitor of monitors) {
      const name = monitor.metadata.name;
      assert.equal(monitor.metadata.labels?.['app.kubernetes.io/part-of'], 'samosachaat');
      const spec = monitor.spec as { selector: LabelSelector; endpoints: Array<{ port: string; path: string; interval: string }> };
      // The job label is the Service's name, so it must select exactly the Service named like the job.
      const services: K8sObject[] = ofKind(all, 'Service').filter((s: K8sObject) => selects(spec.selector, s.metadata.labels));
      assert.deepEqual(services.map((s) => s.metadata.name), [name], `${name}: selected Services`);
      const service = services[0]!;
      const ports = (service.spec as { ports: Array<{ name: string; port: number; targetPort: string }> }).ports;
      assert.equal(spec.endpoints.length, 1);
      const endpoint = spec.endpoints[0]!;
      assert.equal(endpoint.interval, '15s');
      assert.equal(endpoint.path, '/metrics');
      const port = ports.find((p) => p.name === endpoint.port);
      assert.ok(port, `${name}: Service has no port ${endpoint.port}`);
      assert.equal(port.port, SERVICES[name as keyof typeof SERVICES]);
      // …and that Service sends the traffic to the Deployment's http port.
      const deployment = named(all, 'Deployment', name);
      const podLabels = (deployment.spec as { template: { metadata: { labels: Record<string, string> } } }).template.metadata.labels;
      assert.ok(selects({ matchLabels: (service.spec as { selector: Record<string, string> }).selector }, podLabels), `${name}: Service selects the pods`);
      assert.equal(port.targetPort, 'http');
    }
  });

  it('the PrometheusRule holds exactly the groups of deploy/prometheus/rules/*.yml', async (t) => {
    const all = objects(t, 'prod');
    if (!all) return;
    const rules = ofKind(all, 'PrometheusRule');
    assert.equal(rules.length, 1);
    // Parsed here independently of the generator: a hand-made copy would drift from these files.
    const files = (await readdir(rulesDir)).filter((f) => f.endsWith('.yml')).sort();
    assert.ok(files.length >= 2, files.join(', '));
    const fromFiles = [];
    for (const f of files) fromFiles.push(...(parse(await readFile(join(rulesDir, f), 'utf8')) as { groups: Array<{ name: string }> }).groups);
    const byName = <T extends { name: string }>(groups: T[]) => [...groups].sort((a, b) => a.name.localeCompare(b.name));
    const inCluster = (rules[0]!.spec as { groups: Array<{ name: string }> }).groups;
    assert.deepEqual(byName(inCluster), byName(fromFiles));
    assert.ok(inCluster.some((g) => JSON.stringify(g).includes('InferenceServiceDown')));
  });

  it('the dashboard ConfigMaps hold exactly deploy/grafana/dashboards/*.json, labelled for the sidecar', async (t) => {
    const all = objects(t, 'prod');
    if (!all) return;
    const dir = repoPath('deploy/grafana/dashboards');
    const files = (await readdir(dir)).filter((f) => f.endsWith('.json')).sort();
    assert.ok(files.length >= 5, files.join(', '));
    const maps = ofKind(all, 'ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard !== undefined);
    for (const m of maps) assert.equal(m.metadata.labels?.grafana_dashboard, '1');
    const data = new Map<string, string>();
    for (const m of maps) for (const [k, v] of Object.entries(m.data ?? {})) {
      assert.ok(!data.has(k), `${k} is in two ConfigMaps`);
      data.set(k, v);
    }
    assert.deepEqual([...data.keys()].sort(), files);
    for (const f of files) {
      const [inMap, committed] = [data.get(f) ?? '', await readFile(join(dir, f), 'utf8')];
      assert.ok(inMap === committed, `${f}: the ConfigMap differs from the committed dashboard at line ${firstDifference(inMap, committed)} (run npm run monitoring:generate)`);
    }
  });
});

describe('chart values', () => {
  const values = async (file: string) => parse(await readFile(repoPath(`deploy/kubernetes/values/${file}`), 'utf8')) as Record<string, Record<string, Record<string, unknown>>>;

  it('kube-prometheus-stack keeps 15 days on 50 Gi and selects samosaChaat’s monitors, rules and dashboards', async (t) => {
    const v = await values('kube-prometheus-stack.yaml');
    const spec = v.prometheus!.prometheusSpec as Record<string, unknown> & { storageSpec: { volumeClaimTemplate: { spec: { resources: { requests: { storage: string } } } } } };
    assert.equal(spec.retention, '15d');
    assert.equal(spec.storageSpec.volumeClaimTemplate.spec.resources.requests.storage, '50Gi');
    for (const nil of ['serviceMonitorSelectorNilUsesHelmValues', 'ruleSelectorNilUsesHelmValues']) assert.equal(spec[nil], false, nil);
    const sidecar = (v.grafana!.sidecar as { dashboards: Record<string, unknown> }).dashboards;
    assert.equal(sidecar.label, 'grafana_dashboard');
    assert.equal(sidecar.labelValue, '1');
    assert.equal(sidecar.searchNamespace, 'ALL');
    const all = objects(t, 'prod');
    if (!all) return;
    for (const [selector, kind] of [['serviceMonitorSelector', 'ServiceMonitor'], ['ruleSelector', 'PrometheusRule']] as const) {
      const found = ofKind(all, kind);
      assert.ok(found.length > 0);
      for (const o of found) assert.ok(selects(spec[selector] as LabelSelector, o.metadata.labels), `${selector} misses ${kind} ${o.metadata.name}`);
      assert.ok(selects(spec[selector] as LabelSelector, { ...partOfLabel }), `${selector} misses part-of=samosachaat`);
    }
    for (const m of ofKind(all, 'ConfigMap').filter((c) => c.metadata.labels?.grafana_dashboard)) {
      assert.equal(m.metadata.labels?.[sidecar.label as string], sidecar.labelValue);
    }
  });

  it('Loki keeps 30 days (compactor retention on) on a 50 Gi volume', async () => {
    const v = await values('loki.yaml');
    const loki = v.loki as { limits_config: { retention_period: string }; compactor: { retention_enabled: boolean } };
    assert.equal(loki.limits_config.retention_period, '720h');
    assert.equal(loki.compactor.retention_enabled, true);
    assert.equal((v.singleBinary as { persistence: { enabled: boolean; size: string } }).persistence.size, '50Gi');
    assert.equal((v.singleBinary as { persistence: { enabled: boolean } }).persistence.enabled, true);
  });
});

describe('generated Kubernetes files', () => {
  it('the committed files equal the generator output (npm run monitoring:generate)', async () => {
    const files = await kubernetesGenerator.files();
    assert.ok(Object.keys(files).length >= 4);
    for (const [path, content] of Object.entries(files)) {
      const committed = await readFile(repoPath(path), 'utf8').catch(() => '(missing)');
      assert.ok(committed === content, `${path} is stale from line ${firstDifference(committed, content)}: run npm run monitoring:generate`);
    }
  });
});
