import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { titleFromMessage } from './title.js';

describe('titles from first messages', () => {
  it('read as the rendered text: no headings, emphasis, code fences, links or list markers', () => {
    const cases: Array<[string, string]> = [
      ['# How do I **sort** a list?', 'How do I sort a list?'],
      ['## Title ##\nbody', 'Title body'],
      ['```python\nprint("hi")\n```\nWhy does this fail?', 'print("hi") Why does this fail?'],
      ['Use `Array.prototype.map` or ``a`b``', 'Use Array.prototype.map or a`b'],
      ['See [the docs](https://example.test/x) and ![logo](l.png) <https://example.test>', 'See the docs and logo https://example.test'],
      ['- one\n* two\n+ three\n1. four\n- [x] done', 'one two three four done'],
      ['> quoted *emphasis* and _more_ and ~~gone~~', 'quoted emphasis and more and gone'],
      ['| a | b |\n|---|:-:|\n| 1 | 2 |', 'a b 1 2'],
      ['Title\n=====\n\n---\ntext', 'Title text'],
      // Not markup: left as typed.
      ['snake_case_name and 2*3*4 and a * b', 'snake_case_name and 2*3*4 and a * b'],
      ['C# and #hashtag', 'C# and #hashtag'],
    ];
    for (const [message, title] of cases) assert.equal(titleFromMessage(message), title, message);
  });

  it('takes the first 80 characters with whitespace collapsed; markup alone keeps its text', () => {
    assert.equal(titleFromMessage('  Hello\n\n  world\t!  '), 'Hello world !');
    assert.equal(titleFromMessage(`**${'x'.repeat(100)}**`), 'x'.repeat(80));
    assert.equal(titleFromMessage('🙏'.repeat(100)), '🙏'.repeat(80), 'characters, not UTF-16 units');
    assert.equal(titleFromMessage(' \n\t '), null);
    assert.equal(titleFromMessage('```'), '```');
    assert.equal(titleFromMessage('---'), '---');
  });
});
