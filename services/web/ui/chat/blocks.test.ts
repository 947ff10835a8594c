import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { BlockBoundaries } from './blocks.js';

/** Feeds `text` in chunks of `size` and returns the settled length after each. */
function feed(text: string, size: number): number[] {
  const b = new BlockBoundaries();
  const out: number[] = [];
  for (let i = size; i < text.length + size; i += size) out.push(b.update(text.slice(0, i)));
  return out;
}

describe('BlockBoundaries', () => {
  it('settles a paragraph once the next block starts, whatever the chunking', () => {
    const text = 'First paragraph.\n\nSecond';
    for (const size of [1, 3, 100]) assert.equal(feed(text, size).at(-1), 'First paragraph.\n'.length, `chunk ${size}`);
  });

  it('never settles inside a code fence, even across blank lines', () => {
    const open = 'Intro.\n\n```ts\nconst a = 1;\n\nconst b = 2;\n';
    const b = new BlockBoundaries();
    assert.equal(b.update(open), 'Intro.\n'.length);
    assert.equal(b.update(`${open}\nmore`), 'Intro.\n'.length, 'a blank line inside the fence is no boundary');
    const closed = `${open}\nmore\n\`\`\`\n\nAfter.\n`;
    assert.equal(b.update(closed), `${open}\nmore\n\`\`\`\n`.length);
  });

  it('keeps an indented continuation with its list item, and never moves back', () => {
    const text = '- one\n\n  still one\n\n- two\n\nNext\n';
    const settled = feed(text, 2);
    assert.deepEqual([...settled].sort((x, y) => x - y), settled, 'monotonic');
    assert.equal(settled.at(-1), '- one\n\n  still one\n\n- two\n'.length);
    assert.ok(!settled.includes('- one\n'.length), 'not split before the indented line');
  });
});

describe('BlockBoundaries.ends', () => {
  it('lists the same block ends whether the text arrives at once or token by token', () => {
    const text = 'Para one.\n\n- a\n- b\n\n```js\nx\n\ny\n```\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\nLast';
    const whole = new BlockBoundaries();
    whole.update(text);
    for (const size of [1, 2, 5]) {
      const b = new BlockBoundaries();
      for (let i = size; i < text.length + size; i += size) b.update(text.slice(0, i));
      assert.deepEqual(b.ends, whole.ends, `chunk ${size}`);
    }
    assert.equal(whole.ends.length, 4);
  });
});
