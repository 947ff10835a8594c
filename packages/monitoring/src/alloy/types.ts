/**
 * Types of Alloy expressions, as far as they can be told without evaluating them, checked
 * against the argument types of catalogue.ts: literals, lists and objects by their contents,
 * references by the export they name (`…targets` is a list of targets, `…receiver` a logs
 * receiver), `sys.env(…)` and `constants.*` as strings, `coalesce` and `+` by their operands.
 * What cannot be told is `any` and passes. Static values are also checked for what the type
 * promises: a Go duration ("10s", "168h"), one of an enumeration's strings.
 */
import { COMPONENTS, STDLIB_ROOTS } from './catalogue.js';
import type { AlloyComponent } from './inspect.js';
import type { Expr } from './parse.js';

const DURATION = /^(0|([0-9]+(\.[0-9]*)?(ns|us|µs|ms|s|m|h))+)$/;

function chain(expr: Expr): string[] | undefined {
  if (expr.type === 'ident') return [expr.name];
  if (expr.type === 'access') {
    const head = chain(expr.value);
    return head ? [...head, expr.name] : undefined;
  }
  return undefined;
}

function exportType(components: readonly AlloyComponent[], parts: string[]): string {
  for (const c of components) {
    const typeParts = c.type.split('.');
    if (parts.length !== typeParts.length + 2 || parts.slice(0, typeParts.length).join('.') !== c.type || parts[typeParts.length] !== c.label) continue;
    return COMPONENTS[c.type]?.exports?.[parts[typeParts.length + 1] as string] ?? 'any';
  }
  return 'any';
}

const same = (types: string[]): string | undefined => (types.length > 0 && types.every((t) => t === types[0]) ? types[0] : undefined);

/** The type of `expr`: `string`, `number`, `bool`, `null`, `list(T)`, `map(T)`, an export's type, or `any`. */
export function typeOf(expr: Expr, components: readonly AlloyComponent[]): string {
  const of = (e: Expr): string => typeOf(e, components);
  switch (expr.type) {
    case 'literal': return expr.kind === 'float' ? 'number' : expr.kind;
    case 'paren': return of(expr.inner);
    case 'array': return expr.elements.length === 0 ? 'list(any)' : `list(${same(expr.elements.map(of)) ?? 'any'})`;
    case 'object': return expr.fields.length === 0 ? 'map(any)' : `map(${same(expr.fields.map((f) => of(f.value))) ?? 'any'})`;
    case 'unary': return expr.op === '!' ? 'bool' : 'number';
    case 'binary': {
      if (['==', '!=', '<', '<=', '>', '>=', '&&', '||'].includes(expr.op)) return 'bool';
      const operands = same([of(expr.left), of(expr.right)]);
      return expr.op === '+' ? (operands === 'string' || operands === 'number' ? operands : 'any') : 'number';
    }
    case 'call': {
      const callee = chain(expr.value)?.join('.');
      if (callee === 'sys.env') return 'string';
      if (callee === 'coalesce') return same(expr.args.map(of)) ?? 'any';
      return 'any';
    }
    case 'ident':
    case 'access': {
      const parts = chain(expr);
      if (!parts) return 'any';
      if (STDLIB_ROOTS.has(parts[0] as string)) return parts[0] === 'constants' ? 'string' : 'any';
      return exportType(components, parts);
    }
    default: return 'any';
  }
}

function assignable(expected: string, actual: string): boolean {
  if (expected === 'any' || actual === 'any' || actual === 'null' || expected === actual) return true;
  if ((expected === 'duration' || expected === 'secret' || expected.startsWith('enum(')) && actual === 'string') return true;
  const inner = (type: string, kind: 'list' | 'map'): string | undefined => (type.startsWith(`${kind}(`) ? type.slice(kind.length + 1, -1) : undefined);
  for (const kind of ['list', 'map'] as const) {
    const e = inner(expected, kind);
    const a = inner(actual, kind);
    if (e !== undefined && a !== undefined) return assignable(e, a);
  }
  return expected === 'list(LogsReceiver)' && actual === 'list(LogsReceiver)';
}

/** Why `expr` cannot be assigned to an argument of type `expected` (undefined when it can). */
export function typeProblem(expected: string, expr: Expr, components: readonly AlloyComponent[]): string | undefined {
  const type = expected.replace(/!$/, '');
  const actual = typeOf(expr, components);
  if (!assignable(type, actual)) return `expected ${type}, got ${actual}`;
  if (expr.type !== 'literal' || typeof expr.value !== 'string') return undefined;
  if (type === 'duration' && !DURATION.test(expr.value)) return `"${expr.value}" is not a duration (such as "10s" or "168h")`;
  const choices = /^enum\((.*)\)$/.exec(type)?.[1]?.split('|');
  if (choices && !choices.includes(expr.value)) return `"${expr.value}" is not one of ${choices.join(', ')}`;
  return undefined;
}
