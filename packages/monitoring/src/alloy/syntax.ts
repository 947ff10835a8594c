/**
 * Writing Grafana Alloy configuration syntax from typed values, so the Alloy files under
 * deploy/alloy are generated like the rest of deploy/ (alloy-config.ts) instead of written by
 * hand. Only the subset the generator needs: blocks with an optional label, attributes,
 * string/number/bool/null literals, arrays, objects, and expressions given as text (component
 * references, standard-library calls). Multi-line arrays and objects end every element with a
 * comma: Alloy inserts a statement terminator at a line end after a value, exactly like Go, so
 * a missing trailing comma is a syntax error there (parse.ts checks the output).
 */

/** An expression written as Alloy text, e.g. a reference `loki.write.default.receiver`. */
export class AlloyExpr {
  constructor(readonly text: string) {}
}

/** A value of an attribute or an element of an array or object. */
export type AlloyValue = string | number | boolean | null | AlloyExpr | readonly AlloyValue[] | { readonly [key: string]: AlloyValue };

/** A block (`name "label" { … }`), an attribute (`name = value`) or a `//` comment line. */
export type AlloyStatement =
  | { readonly kind: 'block'; readonly name: string; readonly label?: string; readonly body: readonly AlloyStatement[] }
  | { readonly kind: 'attribute'; readonly name: string; readonly value: AlloyValue }
  | { readonly kind: 'comment'; readonly text: string };

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]*$/;
const BLOCK_NAME = /^[A-Za-z_][A-Za-z0-9_]*(\.[A-Za-z_][A-Za-z0-9_]*)*$/;

/** True when `name` is an Alloy identifier (letters, digits, `_`, not starting with a digit). */
export function isIdentifier(name: string): boolean {
  return IDENTIFIER.test(name);
}

/** An expression written as text (a reference, a function call, an operator). */
export function expr(text: string): AlloyExpr {
  return new AlloyExpr(text);
}

/** `name = value`. */
export function attr(name: string, value: AlloyValue): AlloyStatement {
  if (!isIdentifier(name)) throw new Error(`alloy attribute name "${name}" is not an identifier`);
  return { kind: 'attribute', name, value };
}

/** `name "label" { body }`; block labels must be identifiers too (Alloy refuses others). */
export function block(name: string, label: string | undefined, body: readonly AlloyStatement[]): AlloyStatement {
  if (!BLOCK_NAME.test(name)) throw new Error(`alloy block name "${name}" is not dot-separated identifiers`);
  if (label !== undefined && !isIdentifier(label)) throw new Error(`alloy block label "${label}" is not an identifier`);
  return label === undefined ? { kind: 'block', name, body } : { kind: 'block', name, label, body };
}

/** A `//` comment line (one statement per line of `text`). */
export function comment(text: string): AlloyStatement {
  return { kind: 'comment', text };
}

/**
 * A string literal. Alloy strings take Go's escapes; JSON's (`\"`, `\\`, `\n`, `\uXXXX`…) are
 * a subset of them, so JSON.stringify writes a valid literal for any text.
 */
export function stringLiteral(value: string): string {
  return JSON.stringify(value);
}

function isInline(value: AlloyValue): boolean {
  return value === null || typeof value !== 'object' || value instanceof AlloyExpr;
}

function renderValue(value: AlloyValue, indent: string): string {
  if (value === null) return 'null';
  if (typeof value === 'string') return stringLiteral(value);
  if (typeof value === 'number') {
    if (!Number.isFinite(value)) throw new Error(`alloy has no literal for ${value}`);
    return String(value);
  }
  if (typeof value === 'boolean') return String(value);
  if (value instanceof AlloyExpr) return value.text;
  const inner = `${indent}  `;
  if (Array.isArray(value)) {
    const items = value as readonly AlloyValue[];
    if (items.length === 0) return '[]';
    if (items.every(isInline)) return `[${items.map((item) => renderValue(item, indent)).join(', ')}]`;
    return `[\n${items.map((item) => `${inner}${renderValue(item, inner)},\n`).join('')}${indent}]`;
  }
  const entries = Object.entries(value as Record<string, AlloyValue>);
  if (entries.length === 0) return '{}';
  const key = (name: string): string => (isIdentifier(name) ? name : stringLiteral(name));
  return `{\n${entries.map(([name, item]) => `${inner}${key(name)} = ${renderValue(item, inner)},\n`).join('')}${indent}}`;
}

function renderStatements(statements: readonly AlloyStatement[], indent: string): string {
  let out = '';
  for (const statement of statements) {
    if (statement.kind === 'comment') {
      for (const line of statement.text.split('\n')) out += `${indent}//${line === '' ? '' : ` ${line}`}\n`;
    } else if (statement.kind === 'attribute') {
      out += `${indent}${statement.name} = ${renderValue(statement.value, indent)}\n`;
    } else {
      const head = statement.label === undefined ? statement.name : `${statement.name} ${stringLiteral(statement.label)}`;
      out += statement.body.length === 0 ? `${indent}${head} {}\n` : `${indent}${head} {\n${renderStatements(statement.body, `${indent}  `)}${indent}}\n`;
    }
  }
  return out;
}

/**
 * The text of a configuration file: top-level blocks are separated by a blank line; a comment
 * directly above a block stays attached to it.
 */
export function renderAlloy(statements: readonly AlloyStatement[]): string {
  const chunks: string[] = [];
  let pending: AlloyStatement[] = [];
  for (const statement of statements) {
    pending.push(statement);
    if (statement.kind !== 'comment') {
      chunks.push(renderStatements(pending, ''));
      pending = [];
    }
  }
  if (pending.length > 0) chunks.push(renderStatements(pending, ''));
  return chunks.join('\n');
}
