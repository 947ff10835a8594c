/**
 * Helpers of the Kubernetes manifest tests: build a kustomization with the real `kubectl
 * kustomize`, parse its multi-document output, validate every object against the Kubernetes
 * and prometheus-operator JSON schemas (kubernetes-models), and evaluate label selectors.
 */
import { spawnSync } from 'node:child_process';
import { parseAllDocuments } from 'yaml';
import { Namespace, ConfigMap, Service, ServiceAccount, Secret } from 'kubernetes-models/v1';
import { Deployment } from 'kubernetes-models/apps/v1';
import { Job } from 'kubernetes-models/batch/v1';
import { HorizontalPodAutoscaler } from 'kubernetes-models/autoscaling/v2';
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1';
import { Ingress, NetworkPolicy } from 'kubernetes-models/networking.k8s.io/v1';
import { PrometheusRule, ServiceMonitor } from '@kubernetes-models/prometheus-operator/monitoring.coreos.com/v1';
import { repoPath } from '../src/repo.js';

/** A Kubernetes object as parsed from YAML. */
export interface K8sObject {
  apiVersion: string;
  kind: string;
  metadata: { name: string; namespace?: string; labels?: Record<string, string>; annotations?: Record<string, string> };
  spec?: Record<string, unknown>;
  data?: Record<string, string>;
  [key: string]: unknown;
}

type Validating = new (data: never) => { validate(): void };

/**
 * The schema (model class) of every apiVersion/kind the manifests may contain. A kind that
 * is not listed fails validation: nothing reaches a cluster unchecked.
 */
export const MODELS: Readonly<Record<string, Validating>> = {
  'v1/Namespace': Namespace,
  'v1/ServiceAccount': ServiceAccount,
  'v1/ConfigMap': ConfigMap,
  'v1/Secret': Secret,
  'v1/Service': Service,
  'apps/v1/Deployment': Deployment,
  'batch/v1/Job': Job,
  'autoscaling/v2/HorizontalPodAutoscaler': HorizontalPodAutoscaler,
  'policy/v1/PodDisruptionBudget': PodDisruptionBudget,
  'networking.k8s.io/v1/NetworkPolicy': NetworkPolicy,
  'networking.k8s.io/v1/Ingress': Ingress,
  'monitoring.coreos.com/v1/ServiceMonitor': ServiceMonitor,
  'monitoring.coreos.com/v1/PrometheusRule': PrometheusRule,
};

/** Validates one object against its schema; throws naming the object and the first problems. */
export function validateObject(object: K8sObject): void {
  const key = `${object.apiVersion}/${object.kind}`;
  const Model = MODELS[key];
  const id = `${object.kind} ${object.metadata?.namespace ?? ''}/${object.metadata?.name ?? '?'}`;
  if (!Model) throw new Error(`${id}: no schema for ${key}; add its model to MODELS before shipping it`);
  try {
    new Model(structuredClone(object) as never).validate();
  } catch (err) {
    throw new Error(`${id} does not match the ${key} schema: ${(err as Error).message}`);
  }
}

/** Runs `kubectl kustomize` on a repo-relative directory and returns its objects. */
export function kustomize(kubectl: string, dir: string): K8sObject[] {
  const result = spawnSync(kubectl, ['kustomize', repoPath(dir)], { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024, timeout: 120_000 });
  if (result.status !== 0) throw new Error(`kubectl kustomize ${dir} failed (${result.status ?? result.signal}): ${result.stderr || result.error?.message}`);
  return parseManifests(result.stdout, dir);
}

/** Parses multi-document YAML; a document that does not parse throws naming `source`. */
export function parseManifests(text: string, source: string): K8sObject[] {
  return parseAllDocuments(text)
    .map((doc, i) => {
      if (doc.errors.length > 0) throw new Error(`${source}: document ${i + 1}: ${doc.errors[0]?.message}`);
      return doc.toJS() as K8sObject | null;
    })
    .filter((o): o is K8sObject => o !== null);
}

/** A label selector (matchLabels + matchExpressions), as Kubernetes evaluates it. */
export interface LabelSelector {
  matchLabels?: Record<string, string>;
  matchExpressions?: Array<{ key: string; operator: 'In' | 'NotIn' | 'Exists' | 'DoesNotExist'; values?: string[] }>;
}

/** True when `labels` satisfy `selector` (an empty selector selects everything). */
export function selects(selector: LabelSelector, labels: Record<string, string> = {}): boolean {
  for (const [k, v] of Object.entries(selector.matchLabels ?? {})) if (labels[k] !== v) return false;
  for (const e of selector.matchExpressions ?? []) {
    const has = Object.hasOwn(labels, e.key);
    const value = labels[e.key];
    const ok =
      e.operator === 'In' ? has && (e.values ?? []).includes(value as string)
        : e.operator === 'NotIn' ? !has || !(e.values ?? []).includes(value as string)
          : e.operator === 'Exists' ? has
            : !has;
    if (!ok) return false;
  }
  return true;
}

/** The objects of one kind. */
export function ofKind(objects: K8sObject[], kind: string): K8sObject[] {
  return objects.filter((o) => o.kind === kind);
}

/** The one object of `kind` named `name`; throws when absent. */
export function named(objects: K8sObject[], kind: string, name: string): K8sObject {
  const found = objects.find((o) => o.kind === kind && o.metadata.name === name);
  if (!found) throw new Error(`no ${kind} named ${name}`);
  return found;
}

/** A container of a pod template (only the fields the tests read). */
export interface Container {
  name: string;
  image?: string;
  imagePullPolicy?: string;
  command?: string[];
  args?: string[];
  ports?: Array<{ name?: string; containerPort: number }>;
  env?: Array<{ name: string; value?: string; valueFrom?: { secretKeyRef?: { name: string; key: string; optional?: boolean } } }>;
  envFrom?: Array<{ configMapRef?: { name: string }; secretRef?: { name: string; optional?: boolean } }>;
  livenessProbe?: { httpGet?: { path: string; port: string | number } };
  readinessProbe?: { httpGet?: { path: string; port: string | number } };
  resources?: { requests?: Record<string, string>; limits?: Record<string, string> };
  securityContext?: { runAsNonRoot?: boolean; readOnlyRootFilesystem?: boolean; allowPrivilegeEscalation?: boolean; capabilities?: { drop?: string[] } };
  volumeMounts?: Array<{ name: string; mountPath: string }>;
}

/** The pod spec of a Deployment or Job. */
export interface PodSpec {
  containers: Container[];
  initContainers?: Container[];
  volumes?: Array<{ name: string; emptyDir?: unknown; secret?: { secretName: string } }>;
  securityContext?: { runAsNonRoot?: boolean; runAsUser?: number; fsGroup?: number };
  automountServiceAccountToken?: boolean;
  enableServiceLinks?: boolean;
}

/** The pod template spec of a workload object. */
export function podSpec(object: K8sObject): PodSpec {
  const spec = (object.spec as { template?: { spec?: PodSpec } } | undefined)?.template?.spec;
  if (!spec) throw new Error(`${object.kind} ${object.metadata.name} has no pod template`);
  return spec;
}

interface PolicyPeer {
  podSelector?: LabelSelector;
  namespaceSelector?: LabelSelector;
}

interface NetworkPolicySpec {
  podSelector: LabelSelector;
  policyTypes?: string[];
  ingress?: Array<{ from?: PolicyPeer[]; ports?: Array<{ port?: string | number }> }>;
}

/** One end of a connection: the pod's labels and its namespace's labels. */
export interface Endpoint {
  pod: Record<string, string>;
  namespace: Record<string, string>;
}

/**
 * Whether the NetworkPolicies of the destination's namespace let `from` open a connection to
 * `to` on `port` (a port name), as the API defines it: a pod no Ingress policy selects accepts
 * everything; a selected pod accepts what at least one rule of one selecting policy allows.
 */
export function ingressAllowed(policies: K8sObject[], from: Endpoint, to: Endpoint, port: string): boolean {
  const selecting = policies
    .map((p) => p.spec as unknown as NetworkPolicySpec)
    .filter((spec) => (spec.policyTypes ?? ['Ingress']).includes('Ingress') && selects(spec.podSelector, to.pod));
  if (selecting.length === 0) return true;
  const sameNamespace = from.namespace['kubernetes.io/metadata.name'] === to.namespace['kubernetes.io/metadata.name'];
  const peerMatches = (peer: PolicyPeer) => {
    if (peer.namespaceSelector === undefined) return sameNamespace && selects(peer.podSelector ?? {}, from.pod);
    return selects(peer.namespaceSelector, from.namespace) && selects(peer.podSelector ?? {}, from.pod);
  };
  return selecting.some((spec) =>
    (spec.ingress ?? []).some((rule) =>
      (rule.from === undefined || rule.from.some(peerMatches)) && (rule.ports === undefined || rule.ports.some((p) => p.port === undefined || p.port === port)),
    ),
  );
}
