/**
 * What a parsed Alloy configuration means, worked out without running Alloy:
 *
 * - `alloyProblems`: components, arguments and blocks checked against catalogue.ts (unknown
 *   names, missing required arguments, values of the wrong type or outside the documented
 *   choices — types.ts —, duplicate or unlabelled components), and every
 *   reference (`loki.write.default.receiver`) resolved to a component defined in the file and
 *   an export it has.
 * - the helpers pipeline.ts follows log lines with (attributes, static values, references).
 */
import { COMPONENTS, STDLIB_ROOTS, type BlockSchema } from './catalogue.js';
import type { Expr, Statement } from './parse.js';
import { typeProblem } from './types.js';

export type Block = Extract<Statement, { type: 'block' }>;

/** A component block: its type (`loki.process`), label and block. */
export interface AlloyComponent {
  type: string;
  label: string;
  block: Block;
}

/** The labelled top-level blocks (configuration blocks such as `logging` have no label). */
export function alloyComponents(statements: readonly Statement[]): AlloyComponent[] {
  return statements.flatMap((s) => (s.type === 'block' && s.label !== undefined ? [{ type: s.name, label: s.label, block: s }] : []));
}

/** The attribute `name` of a block, if set. */
export function attribute(block: Block, name: string): Expr | undefined {
  const found = block.body.find((s) => s.type === 'attribute' && s.name === name);
  return found?.type === 'attribute' ? found.value : undefined;
}

/** The nested blocks of a block, in order. */
export function innerBlocks(block: Block): Block[] {
  return block.body.filter((s): s is Block => s.type === 'block');
}

/** The value of an expression made only of literals, arrays and objects; `undefined` otherwise. */
export function staticValue(expr: Expr | undefined): unknown {
  if (!expr) return undefined;
  if (expr.type === 'literal') return expr.value;
  if (expr.type === 'paren') return staticValue(expr.inner);
  if (expr.type === 'array') {
    const items = expr.elements.map(staticValue);
    return items.includes(undefined) ? undefined : items;
  }
  if (expr.type === 'object') {
    const entries = expr.fields.map((f) => [f.name, staticValue(f.value)] as const);
    return entries.some(([, v]) => v === undefined) ? undefined : Object.fromEntries(entries);
  }
  return undefined;
}

function chain(expr: Expr): string[] | undefined {
  if (expr.type === 'ident') return [expr.name];
  if (expr.type === 'access') {
    const head = chain(expr.value);
    return head ? [...head, expr.name] : undefined;
  }
  return undefined;
}

/** Every dotted reference in an expression that is not the standard library (`sys.env`…). */
export function references(expr: Expr): string[] {
  const found = chain(expr);
  if (found) return STDLIB_ROOTS.has(found[0] as string) ? [] : [found.join('.')];
  switch (expr.type) {
    case 'access': return references(expr.value);
    case 'index': return [...references(expr.value), ...references(expr.index)];
    case 'call': return [...references(expr.value), ...expr.args.flatMap(references)];
    case 'array': return expr.elements.flatMap(references);
    case 'object': return expr.fields.flatMap((f) => references(f.value));
    case 'unary': return references(expr.value);
    case 'binary': return [...references(expr.left), ...references(expr.right)];
    case 'paren': return references(expr.inner);
    default: return [];
  }
}

/** The component and export a reference names, or a reason it names none. */
export function resolve(components: readonly AlloyComponent[], ref: string): { component: AlloyComponent; exported: string } | string {
  const parts = ref.split('.');
  for (const component of components) {
    const typeParts = component.type.split('.');
    if (parts.slice(0, typeParts.length).join('.') !== component.type || parts[typeParts.length] !== component.label) continue;
    const exported = parts[typeParts.length + 1];
    const exports = Object.keys(COMPONENTS[component.type]?.exports ?? {});
    if (exported === undefined || !exports.includes(exported)) return `${ref}: ${component.type} exports ${exports.length > 0 ? exports.join(', ') : 'nothing'}`;
    return { component, exported };
  }
  return `${ref}: no component ${parts.slice(0, -1).join('.')} is defined`;
}

function schemaProblems(block: Block, schema: BlockSchema, where: string, components: readonly AlloyComponent[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  for (const statement of block.body) {
    if (statement.type === 'attribute') {
      const type = schema.arguments[statement.name];
      if (type === undefined) problems.push(`${where}: unknown argument ${statement.name}`);
      else {
        const wrong = typeProblem(type, statement.value, components);
        if (wrong) problems.push(`${where}.${statement.name}: ${wrong}`);
      }
      if (seen.has(statement.name)) problems.push(`${where}: argument ${statement.name} set twice`);
      seen.add(statement.name);
    } else {
      const inner = schema.blocks?.[statement.name];
      if (!inner) problems.push(`${where}: unknown block ${statement.name}`);
      else problems.push(...schemaProblems(statement, inner, `${where} > ${statement.name}`, components));
    }
  }
  for (const [name, type] of Object.entries(schema.arguments)) if (type.endsWith('!') && !seen.has(name)) problems.push(`${where}: missing required argument ${name}`);
  return problems;
}

/** Everything `alloy run` would refuse that can be told from the file alone (empty when none). */
export function alloyProblems(statements: readonly Statement[]): string[] {
  const problems: string[] = [];
  const components = alloyComponents(statements);
  const ids = new Set<string>();
  for (const statement of statements) {
    if (statement.type === 'attribute') { problems.push(`line ${statement.line}: top-level attribute ${statement.name}`); continue; }
    const schema = COMPONENTS[statement.name];
    const id = statement.label === undefined ? statement.name : `${statement.name}.${statement.label}`;
    if (!schema) { problems.push(`${id}: unknown component`); continue; }
    if ((statement.label === undefined) !== (schema.exports === undefined)) problems.push(`${id}: ${schema.exports === undefined ? 'a configuration block takes no label' : 'a component needs a label'}`);
    if (ids.has(id)) problems.push(`${id}: defined twice`);
    ids.add(id);
    problems.push(...schemaProblems(statement, schema, id, components));
  }
  const walk = (block: Block, id: string): void => {
    for (const s of block.body) {
      if (s.type === 'block') { walk(s, id); continue; }
      for (const ref of references(s.value)) {
        const found = resolve(components, ref);
        if (typeof found === 'string') problems.push(`${id}.${s.name}: ${found}`);
      }
    }
  };
  for (const c of components) walk(c.block, `${c.type}.${c.label}`);
  return problems;
}
