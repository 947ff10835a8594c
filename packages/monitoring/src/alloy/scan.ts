/**
 * The lexical scanner of Grafana Alloy's configuration syntax, written from its documented
 * rules (identifiers, `//` and `/* *\/` comments, double-quoted strings with Go's escapes,
 * back-quoted raw strings, numbers, operators) so the generated files under deploy/alloy can
 * be checked without the Alloy binary, which no package source of these machines provides.
 *
 * Like Go, Alloy turns a line end into a statement terminator when the line's last token is an
 * identifier, a literal, or a closing `)`, `]` or `}` — also inside brackets, which is why a
 * multi-line list needs a comma after its last element.
 */

/** Token kinds; punctuation and operators are their own text (`{`, `==`, `||`…). */
export type TokenKind = 'ident' | 'string' | 'number' | 'float' | 'bool' | 'null' | 'terminator' | 'eof' | string;

/** One token: its kind, its source text (strings keep their quotes), and where it starts. */
export interface Token {
  kind: TokenKind;
  text: string;
  line: number;
  column: number;
}

/** A syntax error at a line and column (1-based) of the source. */
export class AlloySyntaxError extends Error {
  constructor(readonly line: number, readonly column: number, readonly reason: string) {
    super(`${line}:${column}: ${reason}`);
    this.name = 'AlloySyntaxError';
  }
}

const OPERATORS = ['||', '&&', '==', '!=', '<=', '>=', '!', '=', '<', '>', '+', '-', '*', '/', '%', '^', '{', '}', '(', ')', '[', ']', ',', '.'];
const LETTER = /[\p{L}_]/u;
const LETTER_OR_NUMBER = /[\p{L}\p{N}_]/u;
const ENDS_STATEMENT = new Set(['ident', 'string', 'number', 'float', 'bool', 'null', ')', ']', '}']);

/** The tokens of `source`, terminators inserted, ending with `eof`; throws AlloySyntaxError. */
export function scanAlloy(source: string): Token[] {
  const tokens: Token[] = [];
  const chars = [...source.replace(/^\uFEFF/, '')];
  let i = 0;
  let line = 1;
  let column = 1;
  let insertTerminator = false;
  const fail = (reason: string): never => { throw new AlloySyntaxError(line, column, reason); };
  const advance = (count = 1): string => {
    let text = '';
    for (let n = 0; n < count; n++) {
      const ch = chars[i++] ?? '';
      text += ch;
      if (ch === '\n') { line++; column = 1; } else column++;
    }
    return text;
  };
  const push = (kind: TokenKind, text: string, at: { line: number; column: number }): void => {
    tokens.push({ kind, text, ...at });
    insertTerminator = ENDS_STATEMENT.has(kind);
  };
  /** True when only blanks and comments stand between `from` and the next line end (or the end). */
  const restOfLineIsEmpty = (from: number): boolean => {
    let j = from;
    for (;;) {
      while (chars[j] === ' ' || chars[j] === '\t' || chars[j] === '\r') j++;
      if (j >= chars.length || chars[j] === '\n') return true;
      if (chars[j] === '/' && chars[j + 1] === '/') return true;
      if (chars[j] === '/' && chars[j + 1] === '*') {
        let k = j + 2;
        while (k < chars.length && !(chars[k] === '*' && chars[k + 1] === '/')) { if (chars[k] === '\n') return true; k++; }
        if (k >= chars.length) return true;
        j = k + 2;
        continue;
      }
      return false;
    }
  };

  while (i < chars.length) {
    const ch = chars[i] as string;
    const at = { line, column };
    if (ch === '\n' && insertTerminator) { push('terminator', '\n', at); insertTerminator = false; advance(); continue; }
    if (ch === ' ' || ch === '\t' || ch === '\r' || ch === '\n') { advance(); continue; }
    if (ch === '/' && (chars[i + 1] === '/' || chars[i + 1] === '*')) {
      if (insertTerminator && restOfLineIsEmpty(i)) { push('terminator', '\n', at); insertTerminator = false; }
      if (chars[i + 1] === '/') { while (i < chars.length && chars[i] !== '\n') advance(); continue; }
      advance(2);
      while (i < chars.length && !(chars[i] === '*' && chars[i + 1] === '/')) advance();
      if (i >= chars.length) throw new AlloySyntaxError(at.line, at.column, 'comment not terminated');
      advance(2);
      continue;
    }
    if (LETTER.test(ch)) {
      let text = '';
      while (i < chars.length && LETTER_OR_NUMBER.test(chars[i] as string)) text += advance();
      push(text === 'true' || text === 'false' ? 'bool' : text === 'null' ? 'null' : 'ident', text, at);
      continue;
    }
    if (/[0-9]/.test(ch) || (ch === '.' && /[0-9]/.test(chars[i + 1] ?? ''))) {
      let text = '';
      let kind = 'number';
      while (/[0-9]/.test(chars[i] ?? '')) text += advance();
      if (chars[i] === '.' && /[0-9]/.test(chars[i + 1] ?? '')) { kind = 'float'; text += advance(); while (/[0-9]/.test(chars[i] ?? '')) text += advance(); }
      if (chars[i] === 'e' || chars[i] === 'E') {
        kind = 'float';
        text += advance();
        if (chars[i] === '+' || chars[i] === '-') text += advance();
        if (!/[0-9]/.test(chars[i] ?? '')) fail('exponent has no digits');
        while (/[0-9]/.test(chars[i] ?? '')) text += advance();
      }
      push(kind, text, at);
      continue;
    }
    if (ch === '"' || ch === '`') {
      let text = advance();
      while (i < chars.length && chars[i] !== ch) {
        if (ch === '"' && chars[i] === '\n') fail('string literal not terminated');
        if (ch === '"' && chars[i] === '\\') text += advance();
        text += advance();
      }
      if (i >= chars.length) throw new AlloySyntaxError(at.line, at.column, `${ch === '"' ? 'string' : 'raw string'} literal not terminated`);
      text += advance();
      if (ch === '"') decodeString(text, at);
      push('string', text, at);
      continue;
    }
    if (ch === "'") fail('illegal single-quoted string; use double quotes');
    if (ch === '|' && chars[i + 1] !== '|') fail('missing second | in ||');
    if (ch === '&' && chars[i + 1] !== '&') fail('missing second & in &&');
    const op = OPERATORS.find((candidate) => chars.slice(i, i + candidate.length).join('') === candidate);
    if (op === undefined) fail(`illegal character ${JSON.stringify(ch)}`);
    push(op as string, advance((op as string).length), at);
  }
  if (insertTerminator) tokens.push({ kind: 'terminator', text: '\n', line, column });
  tokens.push({ kind: 'eof', text: '', line, column });
  return tokens;
}

const SIMPLE_ESCAPES: Readonly<Record<string, string>> = { a: '\x07', b: '\b', f: '\f', n: '\n', r: '\r', t: '\t', v: '\v', '\\': '\\', "'": "'", '"': '"' };

/** The value of a string literal's source text (quotes included): Go's escapes, or raw text. */
export function decodeString(text: string, at: { line: number; column: number } = { line: 0, column: 0 }): string {
  if (text.startsWith('`')) return text.slice(1, -1).replace(/\r/g, '');
  let out = '';
  const body = text.slice(1, -1);
  for (let k = 0; k < body.length; k++) {
    const ch = body[k] as string;
    if (ch !== '\\') { out += ch; continue; }
    const next = body[k + 1] ?? '';
    if (next in SIMPLE_ESCAPES) { out += SIMPLE_ESCAPES[next]; k++; continue; }
    const forms: Array<[RegExp, number, number]> = [[/^[0-7]{3}/, 3, 8], [/^x[0-9a-fA-F]{2}/, 3, 16], [/^u[0-9a-fA-F]{4}/, 5, 16], [/^U[0-9a-fA-F]{8}/, 9, 16]];
    const form = forms.find(([pattern]) => pattern.test(body.slice(k + 1)));
    if (!form) throw new AlloySyntaxError(at.line, at.column, `unknown escape sequence \\${next}`);
    const digits = body.slice(k + 1, k + 1 + form[1]).replace(/^[xuU]/, '');
    const code = Number.parseInt(digits, form[2]);
    if (code > 0x10ffff || (code >= 0xd800 && code <= 0xdfff) || (form[1] === 3 && form[2] === 8 && code > 255)) {
      throw new AlloySyntaxError(at.line, at.column, `escape sequence \\${body.slice(k + 1, k + 1 + form[1])} is not a valid character`);
    }
    out += String.fromCodePoint(code);
    k += form[1];
  }
  return out;
}
