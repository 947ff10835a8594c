/**
 * Follows log lines through a parsed Alloy configuration: for each `loki.source.file`, every
 * path its lines take (`forward_to` through `loki.process` components to a `loki.write`) and
 * the stream labels and structured metadata they reach Loki with — target labels from
 * discovery and relabelling, `filename` added by the file source, `stream` by `stage.cri`,
 * then each stage in order (Alloy 1.x component reference). What this code cannot follow (a
 * `labelmap` rule, fields selected by a regex, a stage that is not listed here) throws: the
 * result is never a guess.
 */
import { alloyComponents, attribute, innerBlocks, references, resolve, staticValue, type AlloyComponent, type Block } from './inspect.js';
import type { Expr, Statement } from './parse.js';

/** One path of log lines from a file source to a writer, and what Loki receives. */
export interface LogPipeline {
  /** `loki.source.file.<label>` */
  source: string;
  /** The `loki.process` components crossed, in order, then the `loki.write` one. */
  path: string[];
  /** `loki.process` stage names in the order they run (`stage.json`, …). */
  stages: string[];
  /** Stream labels of every line (sorted). */
  labels: string[];
  /** Structured metadata keys a line may carry (sorted). */
  structuredMetadata: string[];
  /** Values a stage reads that no earlier stage extracted (empty when consistent). */
  problems: string[];
}

/** Labels every target of `kubernetes` discovery carries: all reserved (`__meta_*`, `__address__`). */
const DISCOVERY_LABELS = ['__address__', '__meta_kubernetes_*'];
/** Values `stage.cri` extracts from a CRI line (and `stream` becomes a label). */
const CRI_EXTRACTED = ['content', 'flags', 'stream', 'time'];

function fullMatch(pattern: string, text: string): boolean {
  return new RegExp(`^(?:${pattern})$`).test(text);
}

function target(components: readonly AlloyComponent[], ref: string, where: string): { component: AlloyComponent; exported: string } {
  const found = resolve(components, ref);
  if (typeof found === 'string') throw new Error(`${where}: ${found}`);
  return found;
}

/** The label names of the targets an expression evaluates to. */
function targetLabels(components: readonly AlloyComponent[], expr: Expr | undefined, where: string): Set<string> {
  // A literal list of targets: its keys are the labels, whatever computes the values.
  if (expr?.type === 'array' && expr.elements.every((e) => e.type === 'object')) {
    return new Set(expr.elements.flatMap((e) => (e.type === 'object' ? e.fields.map((f) => f.name) : [])));
  }
  const refs = expr ? references(expr) : [];
  if (refs.length !== 1 || expr?.type !== 'access') throw new Error(`${where}: cannot tell the labels of these targets`);
  const { component } = target(components, refs[0] as string, where);
  const id = `${component.type}.${component.label}`;
  if (component.type === 'discovery.kubernetes') return new Set(DISCOVERY_LABELS);
  if (component.type === 'local.file_match') return targetLabels(components, attribute(component.block, 'path_targets'), id);
  if (component.type !== 'discovery.relabel') throw new Error(`${where}: cannot tell the labels of ${id}`);
  const labels = targetLabels(components, attribute(component.block, 'targets'), id);
  for (const rule of innerBlocks(component.block).filter((b) => b.name === 'rule')) {
    const action = (staticValue(attribute(rule, 'action')) as string | undefined) ?? 'replace';
    const targetLabel = staticValue(attribute(rule, 'target_label')) as string | undefined;
    const regex = (staticValue(attribute(rule, 'regex')) as string | undefined) ?? '(.*)';
    if (['replace', 'hashmod', 'lowercase', 'uppercase'].includes(action)) {
      if (targetLabel === undefined) throw new Error(`${id}: a ${action} rule without target_label`);
      labels.add(targetLabel);
    } else if (action === 'labeldrop' || action === 'labelkeep') {
      for (const name of [...labels]) if (fullMatch(regex, name) === (action === 'labeldrop')) labels.delete(name);
    } else if (!['keep', 'drop', 'keepequal', 'dropequal'].includes(action)) {
      throw new Error(`${id}: cannot tell the labels a ${action} rule makes`);
    }
  }
  return labels;
}

const mapKeys = (block: Block, name: string): Array<[string, string]> =>
  Object.entries((staticValue(attribute(block, name)) ?? {}) as Record<string, string>).map(([key, value]) => [key, value === '' ? key : value]);
const list = (block: Block, name: string): string[] => (staticValue(attribute(block, name)) ?? []) as string[];

interface State { labels: Set<string>; metadata: Set<string>; extracted: Set<string>; stages: string[]; path: string[]; problems: string[] }

function applyStage(stage: Block, state: State, where: string): void {
  const needs = (value: string, what: string): void => {
    if (!state.extracted.has(value)) state.problems.push(`${where} ${stage.name}: ${what} reads "${value}", which no earlier stage extracts`);
  };
  state.stages.push(stage.name);
  switch (stage.name) {
    case 'stage.cri':
      for (const name of CRI_EXTRACTED) state.extracted.add(name);
      state.labels.add('stream');
      return;
    case 'stage.json':
      if (staticValue(attribute(stage, 'regex'))) throw new Error(`${where}: cannot tell which fields a stage.json regex extracts`);
      if (attribute(stage, 'source')) needs(staticValue(attribute(stage, 'source')) as string, 'source');
      for (const [key] of mapKeys(stage, 'expressions')) state.extracted.add(key);
      return;
    case 'stage.labels':
      for (const [key, from] of mapKeys(stage, 'values')) { needs(from, `label ${key}`); state.labels.add(key); }
      return;
    case 'stage.static_labels':
      for (const [key] of mapKeys(stage, 'values')) state.labels.add(key);
      return;
    case 'stage.label_drop':
      for (const name of list(stage, 'values')) state.labels.delete(name);
      return;
    case 'stage.label_keep': {
      const keep = new Set(list(stage, 'values'));
      for (const name of [...state.labels]) if (!keep.has(name)) state.labels.delete(name);
      return;
    }
    case 'stage.structured_metadata':
      if (staticValue(attribute(stage, 'regex'))) throw new Error(`${where}: cannot tell which fields a stage.structured_metadata regex takes`);
      for (const [key, from] of mapKeys(stage, 'values')) { needs(from, `structured metadata ${key}`); state.metadata.add(key); state.labels.delete(key); }
      return;
    case 'stage.structured_metadata_drop':
      for (const name of list(stage, 'values')) state.metadata.delete(name);
      return;
    case 'stage.timestamp':
      needs(staticValue(attribute(stage, 'source')) as string, 'source');
      return;
    default:
      throw new Error(`${where}: cannot tell what ${stage.name} does to labels`);
  }
}

function receivers(block: Block): string[] {
  const forward = attribute(block, 'forward_to');
  return forward ? references(forward) : [];
}

function follow(components: readonly AlloyComponent[], refs: string[], state: State, source: string, out: LogPipeline[]): void {
  for (const ref of refs) {
    const { component } = target(components, ref, source);
    const id = `${component.type}.${component.label}`;
    if (state.path.includes(id)) throw new Error(`${source}: lines loop through ${id}`);
    const next: State = { ...state, labels: new Set(state.labels), metadata: new Set(state.metadata), extracted: new Set(state.extracted), stages: [...state.stages], path: [...state.path, id], problems: [...state.problems] };
    if (component.type === 'loki.write') {
      for (const [key] of mapKeys(component.block, 'external_labels')) next.labels.add(key);
      const labels = [...next.labels].filter((name) => !name.startsWith('__')).sort();
      out.push({ source, path: next.path, stages: next.stages, labels, structuredMetadata: [...next.metadata].sort(), problems: next.problems });
    } else if (component.type === 'loki.process') {
      // Extracted values live inside one loki.process; only labels, metadata, line and time travel on.
      next.extracted = new Set();
      for (const stage of innerBlocks(component.block)) applyStage(stage, next, id);
      follow(components, receivers(component.block), next, source, out);
    } else {
      throw new Error(`${source}: cannot follow lines into ${id}`);
    }
  }
}

/** Every path from every `loki.source.file` to a `loki.write`, with what Loki receives. */
export function logPipelines(statements: readonly Statement[]): LogPipeline[] {
  const components = alloyComponents(statements);
  const out: LogPipeline[] = [];
  for (const source of components.filter((c) => c.type === 'loki.source.file')) {
    const id = `${source.type}.${source.label}`;
    const labels = targetLabels(components, attribute(source.block, 'targets'), id);
    // The file source labels every line with its path and keeps the target's other public labels.
    labels.add('filename');
    follow(components, receivers(source.block), { labels, metadata: new Set(), extracted: new Set(), stages: [], path: [], problems: [] }, id, out);
  }
  return out;
}
