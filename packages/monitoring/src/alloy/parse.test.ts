/**
 * The Alloy syntax scanner and parser against the rules Alloy documents for its own parser:
 * what it accepts, what it refuses and where, and that what syntax.ts writes reads back to
 * the same values.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { parseAlloy, AlloySyntaxError, type Expr, type Statement } from './parse.js';
import { attr, block, comment, expr, renderAlloy } from './syntax.js';
import { staticValue } from './inspect.js';

function fails(source: string, pattern: RegExp, line?: number): void {
  assert.throws(() => parseAlloy(source), (err: unknown) => {
    assert.ok(err instanceof AlloySyntaxError, `not a syntax error: ${String(err)}`);
    assert.match(err.message, pattern);
    if (line !== undefined) assert.equal(err.line, line, err.message);
    return true;
  }, `accepted: ${source}`);
}

const value = (statements: Statement[], name: string): Expr => {
  const found = statements.find((s) => s.type === 'attribute' && s.name === name);
  assert.ok(found?.type === 'attribute', `no attribute ${name}`);
  return found.value;
};

describe('parseAlloy', () => {
  it('reads blocks with dotted names and labels, nested blocks, attributes and comments', () => {
    const statements = parseAlloy([
      '// a comment',
      'loki.write "default" { /* inline */',
      '  endpoint {',
      '    url = "http://localhost:3100/loki/api/v1/push" // trailing',
      '  }',
      '  external_labels = { cluster = "one", "app.kubernetes.io/name" = "x" }',
      '}',
      'logging {}',
    ].join('\n'));
    assert.equal(statements.length, 2);
    const write = statements[0];
    assert.ok(write?.type === 'block');
    assert.equal(write.name, 'loki.write');
    assert.equal(write.label, 'default');
    assert.equal(write.line, 2);
    const endpoint = write.body[0];
    assert.ok(endpoint?.type === 'block' && endpoint.name === 'endpoint' && endpoint.label === undefined);
    assert.equal(staticValue(value(endpoint.body, 'url')), 'http://localhost:3100/loki/api/v1/push');
    assert.deepEqual(staticValue(value(write.body, 'external_labels')), { cluster: 'one', 'app.kubernetes.io/name': 'x' });
    assert.deepEqual(statements[1], { type: 'block', name: 'logging', body: [], line: 8 });
  });

  it('decodes Go escapes and raw strings, numbers, booleans and null', () => {
    const statements = parseAlloy('a = "q\\"\\\\\\n\\t\\u00e9\\x41\\101\\U0001F600"\nb = `raw\\n ${x}`\nc = [1, 2.5, .5, 1e3, true, false, null]\n');
    assert.equal(staticValue(value(statements, 'a')), 'q"\\\n\té' + 'AA\u{1F600}');
    assert.equal(staticValue(value(statements, 'b')), 'raw\\n ${x}');
    assert.deepEqual(staticValue(value(statements, 'c')), [1, 2.5, 0.5, 1000, true, false, null]);
  });

  it('keeps operator precedence and associativity: || < && < comparison < + - < * / % < ^ (right)', () => {
    const [statement] = parseAlloy('x = a || b && c == d + e * f ^ g ^ h\n');
    const shape = (e: Expr): string => {
      if (e.type === 'binary') return `(${shape(e.left)} ${e.op} ${shape(e.right)})`;
      if (e.type === 'ident') return e.name;
      return '?';
    };
    assert.ok(statement?.type === 'attribute');
    assert.equal(shape(statement.value), '(a || (b && (c == (d + (e * (f ^ (g ^ h)))))))');
  });

  it('reads references, calls and indexing as one chain', () => {
    const [statement] = parseAlloy('field = "spec.nodeName=" + coalesce(sys.env("HOSTNAME"), constants.hostname)[0].x\n');
    assert.ok(statement?.type === 'attribute' && statement.value.type === 'binary');
    const right = statement.value.right;
    assert.ok(right.type === 'access' && right.name === 'x' && right.value.type === 'index' && right.value.value.type === 'call');
    assert.equal(right.value.value.args.length, 2);
  });

  it('ends a statement at a comment that runs to the line end, as at the line end itself', () => {
    const statements = parseAlloy('a = 1 // one\nb = [2] /* two\nlines */ c = 3\nd = 4 /* four */   \ne {} /* x */ /* y */\n');
    assert.deepEqual(statements.map((s) => (s.type === 'attribute' ? s.name : s.name)), ['a', 'b', 'c', 'd', 'e']);
  });

  it('needs a comma after the last element of a multi-line list or object, as Alloy does', () => {
    assert.doesNotThrow(() => parseAlloy('a = [\n  "x",\n  "y",\n]\nb = {\n  k = 1,\n}\n'));
    fails('a = [\n  "x",\n  "y"\n]\n', /missing ',' in expression list/, 3);
    fails('b = {\n  k = 1\n}\n', /missing ',' in field list/, 2);
  });

  it('refuses what Alloy refuses, naming the line', () => {
    fails('a = 1 b = 2\n', /expected a line end after the statement/, 1);
    fails('a.b = 1\n', /single identifier with no "\."/, 1);
    fails('a "x" = 1\n', /may not have labels/, 1);
    fails('loki.write "not-an-identifier" {}\n', /block label must be a valid identifier/, 1);
    fails('loki.write unquoted {}\n', /expected block label, got "unquoted"/, 1);
    fails('x = 1e\n', /exponent has no digits/, 1);
    fails('x = "\\uD800"\n', /not a valid character/, 1);
    fails('x = `never closed\n', /raw string literal not terminated/, 1);
    fails('a = 1 /* comment */ b = 2\n', /expected a line end after the statement, got "b"/, 1);
    fails('loki.write `x` {}\n', /double-quoted string/, 1);
    fails('x {\n  y = 1\n', /expected "}", got the end of the file/, 3);
    fails("a = 'single'\n", /single-quoted string/, 1);
    fails('a = "unterminated\n', /not terminated/, 1);
    fails('a = "\\q"\n', /unknown escape sequence \\q/, 1);
    fails('a = 1 | 2\n', /missing second \|/, 1);
    fails('a = b "label" { }\n', /cannot use a block as an expression/, 1);
    fails('a =\n', /expected expression, got the end of the file/, 2);
    fails('a = (1\n)\n', /expected "\)", got a line end/, 1);
    fails('/* never closed\n', /comment not terminated/);
    fails('a = [1, 2\n', /missing ','/);
    fails('{ a = 1 }\n', /expected identifier/);
    fails('a = #\n', /illegal character "#"/);
  });

  it('reads back what syntax.ts writes, values unchanged', () => {
    const tricky = 'quote " backslash \\ newline \n tab \t unicode é ✓ and a {{ brace';
    const text = renderAlloy([
      comment('header\nsecond line'),
      block('loki.process', 'p', [
        attr('forward_to', [expr('loki.write.w.receiver')]),
        block('stage.json', undefined, [attr('expressions', { plain: 'x', 'needs.quotes': tricky, nested: { list: [1, true, null, 'a'] } })]),
        block('stage.cri', undefined, []),
      ]),
      block('loki.write', 'w', [attr('external_labels', {}), attr('max_streams', 0)]),
    ]);
    const statements = parseAlloy(text);
    assert.equal(statements.length, 2);
    const process = statements[0];
    assert.ok(process?.type === 'block');
    const json = process.body[1];
    assert.ok(json?.type === 'block');
    assert.deepEqual(staticValue(value(json.body, 'expressions')), { plain: 'x', 'needs.quotes': tricky, nested: { list: [1, true, null, 'a'] } });
    assert.match(text, /^\/\/ header\n\/\/ second line\nloki\.process "p" \{/);
  });

  it('refuses names syntax.ts cannot write', () => {
    assert.throws(() => block('loki.write', 'has-dash', []), /label "has-dash" is not an identifier/);
    assert.throws(() => attr('a.b', 1), /not an identifier/);
    assert.throws(() => renderAlloy([attr('n', Number.NaN)]), /no literal for NaN/);
  });
});
