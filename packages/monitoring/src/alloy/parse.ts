/**
 * A parser of Grafana Alloy's configuration syntax, following the grammar Alloy documents
 * for its own parser (LL(1), one function per rule):
 *
 *   File       = Body
 *   Body       = [ Statement { terminator Statement } ]
 *   Statement  = Attribute | Block
 *   Attribute  = identifier "=" Expression
 *   Block      = identifier { "." identifier } [ string ] "{" Body "}"
 *   Expression = OrExpr;  OrExpr = AndExpr { "||" AndExpr };  AndExpr = CmpExpr { "&&" CmpExpr }
 *   CmpExpr    = AddExpr { ("=="|"!="|"<"|"<="|">"|">=") AddExpr };  AddExpr = MulExpr { ("+"|"-") MulExpr }
 *   MulExpr    = PowExpr { ("*"|"/"|"%") PowExpr };  PowExpr = UnaryExpr [ "^" PowExpr ]
 *   UnaryExpr  = OperExpr | ("!"|"-") UnaryExpr
 *   OperExpr   = PrimaryExpr { "." identifier | "[" Expression "]" | "(" [ ExpressionList ] ")" }
 *   PrimaryExpr = identifier | string | number | float | bool | null | "(" Expression ")"
 *               | "[" [ ExpressionList ] "]" | "{" [ Field { "," Field } [ "," ] ] "}"
 *   ExpressionList = Expression { "," Expression } [ "," ];  Field = ( string | identifier ) "=" Expression
 *
 * plus the rules Alloy adds on top: block labels are double-quoted identifiers, attribute
 * names have no dots and no label. It stops at the first error (AlloySyntaxError).
 */
import { AlloySyntaxError, decodeString, scanAlloy, type Token } from './scan.js';

/** An expression node. Literals carry their decoded value. */
export type Expr =
  | { type: 'literal'; kind: 'string' | 'number' | 'float' | 'bool' | 'null'; value: string | number | boolean | null }
  | { type: 'ident'; name: string }
  | { type: 'access'; value: Expr; name: string }
  | { type: 'index'; value: Expr; index: Expr }
  | { type: 'call'; value: Expr; args: Expr[] }
  | { type: 'array'; elements: Expr[] }
  | { type: 'object'; fields: Array<{ name: string; value: Expr }> }
  | { type: 'unary'; op: string; value: Expr }
  | { type: 'binary'; op: string; left: Expr; right: Expr }
  | { type: 'paren'; inner: Expr };

/** A statement: an attribute or a block (name fragments joined by dots). */
export type Statement =
  | { type: 'attribute'; name: string; value: Expr; line: number }
  | { type: 'block'; name: string; label?: string; body: Statement[]; line: number };

const PRECEDENCE: Readonly<Record<string, number>> = { '||': 1, '&&': 2, '==': 3, '!=': 3, '<': 3, '<=': 3, '>': 3, '>=': 3, '+': 4, '-': 4, '*': 5, '/': 5, '%': 5 };
const IDENTIFIER = /^[\p{L}_][\p{L}\p{N}_]*$/u;

class Parser {
  private at = 0;
  constructor(private readonly tokens: Token[]) {}

  private get token(): Token { return this.tokens[this.at] as Token; }
  private next(): Token { return this.tokens[this.at++] as Token; }
  private fail(reason: string, token: Token = this.token): never { throw new AlloySyntaxError(token.line, token.column, reason); }
  private describe(token: Token): string { return token.kind === 'terminator' ? 'a line end' : token.kind === 'eof' ? 'the end of the file' : JSON.stringify(token.text); }
  private expect(kind: string): Token {
    if (this.token.kind !== kind) this.fail(`expected ${JSON.stringify(kind)}, got ${this.describe(this.token)}`);
    return this.next();
  }

  body(until: 'eof' | '}'): Statement[] {
    const statements: Statement[] = [];
    while (this.token.kind !== until && this.token.kind !== 'eof') {
      statements.push(this.statement());
      if (this.token.kind === until) break;
      if (this.token.kind !== 'terminator') this.fail(`expected a line end after the statement, got ${this.describe(this.token)}`);
      this.next();
    }
    return statements;
  }

  private statement(): Statement {
    const start = this.token;
    if (start.kind !== 'ident') this.fail(`expected identifier, got ${this.describe(start)}`);
    const fragments = [this.next().text];
    while (this.token.kind === '.') {
      this.next();
      fragments.push(this.expect('ident').text);
    }
    let label: string | undefined;
    if (this.token.kind !== '=' && this.token.kind !== '{' && this.token.kind !== 'string') this.fail(`expected block label, got ${this.describe(this.token)}`);
    if (this.token.kind === 'string') {
      const labelToken = this.next();
      if (!labelToken.text.startsWith('"')) this.fail('a block label must be a double-quoted string', labelToken);
      label = labelToken.text.slice(1, -1);
      if (label !== '' && !IDENTIFIER.test(label)) this.fail(`a block label must be a valid identifier, got "${label}"`, labelToken);
    }
    if (this.token.kind === '=') {
      if (fragments.length !== 1) this.fail('attribute names may only consist of a single identifier with no "."', start);
      if (label !== undefined) this.fail('attribute names may not have labels', start);
      this.next();
      return { type: 'attribute', name: fragments[0] as string, value: this.expression(), line: start.line };
    }
    if (this.token.kind !== '{') this.fail(`expected block body, got ${this.describe(this.token)}`);
    this.next();
    const body = this.body('}');
    this.expect('}');
    return { type: 'block', name: fragments.join('.'), ...(label === undefined || label === '' ? {} : { label }), body, line: start.line };
  }

  expression(minPrecedence = 1): Expr {
    let left = this.power();
    for (;;) {
      const precedence = PRECEDENCE[this.token.kind] ?? 0;
      if (precedence < minPrecedence) return left;
      const op = this.next().kind;
      left = { type: 'binary', op, left, right: this.expression(precedence + 1) };
    }
  }

  private power(): Expr {
    const left = this.unary();
    if (this.token.kind !== '^') return left;
    this.next();
    return { type: 'binary', op: '^', left, right: this.power() };
  }

  private unary(): Expr {
    if (this.token.kind === '!' || this.token.kind === '-') {
      const op = this.next().kind;
      return { type: 'unary', op, value: this.unary() };
    }
    let value = this.primary();
    for (;;) {
      const kind = this.token.kind;
      if (kind === '.') {
        this.next();
        value = { type: 'access', value, name: this.expect('ident').text };
      } else if (kind === '[') {
        this.next();
        value = { type: 'index', value, index: this.expression() };
        this.expect(']');
      } else if (kind === '(') {
        this.next();
        const args = this.token.kind === ')' ? [] : this.list(')');
        this.expect(')');
        value = { type: 'call', value, args };
      } else if (kind === '{' || kind === 'string') {
        this.fail('cannot use a block as an expression');
      } else {
        return value;
      }
    }
  }

  private primary(): Expr {
    const token = this.token;
    switch (token.kind) {
      case 'ident': this.next(); return { type: 'ident', name: token.text };
      case 'string': this.next(); return { type: 'literal', kind: 'string', value: decodeString(token.text, token) };
      case 'number': this.next(); return { type: 'literal', kind: 'number', value: Number(token.text) };
      case 'float': this.next(); return { type: 'literal', kind: 'float', value: Number(token.text) };
      case 'bool': this.next(); return { type: 'literal', kind: 'bool', value: token.text === 'true' };
      case 'null': this.next(); return { type: 'literal', kind: 'null', value: null };
      case '(': {
        this.next();
        const inner = this.expression();
        this.expect(')');
        return { type: 'paren', inner };
      }
      case '[': {
        this.next();
        const elements = this.token.kind === ']' ? [] : this.list(']');
        this.expect(']');
        return { type: 'array', elements };
      }
      case '{': {
        this.next();
        const fields: Array<{ name: string; value: Expr }> = [];
        while (this.token.kind !== '}' && this.token.kind !== 'eof') {
          const name = this.token;
          if (name.kind !== 'string' && name.kind !== 'ident') this.fail(`expected field name (string or identifier), got ${this.describe(name)}`);
          this.next();
          this.expect('=');
          fields.push({ name: name.kind === 'string' ? name.text.slice(1, -1) : name.text, value: this.expression() });
          if (this.token.kind === '}') break;
          if (this.token.kind !== ',') this.fail(`missing ',' in field list, got ${this.describe(this.token)}`);
          this.next();
        }
        this.expect('}');
        return { type: 'object', fields };
      }
      default:
        return this.fail(`expected expression, got ${this.describe(token)}`);
    }
  }

  private list(until: ')' | ']'): Expr[] {
    const items: Expr[] = [];
    while (this.token.kind !== until && this.token.kind !== 'eof') {
      items.push(this.expression());
      if (this.token.kind === until) break;
      if (this.token.kind !== ',') this.fail(`missing ',' in expression list, got ${this.describe(this.token)}`);
      this.next();
    }
    return items;
  }
}

/** The statements of an Alloy configuration file; throws AlloySyntaxError (line:column: reason). */
export function parseAlloy(source: string): Statement[] {
  const parser = new Parser(scanAlloy(source));
  const statements = parser.body('eof');
  return statements;
}

export { AlloySyntaxError };
