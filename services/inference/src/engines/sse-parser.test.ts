import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { SseParser, type SseEvent } from './sse-parser.js';

const STREAM =
  ': keep-alive comment\r\n' +
  'data: {"choices":[{"delta":{"content":"Hé"}}]}\r\n\r\n' +
  'event: note\n' +
  'data: first line\n' +
  'data:second line\n\n' +
  'data: {"choices":[{"delta":{"content":"🥟 chaat"}}]}\r\r' +
  'data: [DONE]\n\n';

const EXPECTED: SseEvent[] = [
  { event: undefined, data: '{"choices":[{"delta":{"content":"Hé"}}]}' },
  { event: 'note', data: 'first line\nsecond line' },
  { event: undefined, data: '{"choices":[{"delta":{"content":"🥟 chaat"}}]}' },
  { event: undefined, data: '[DONE]' },
];

function parseInPieces(bytes: Buffer, cuts: number[]): SseEvent[] {
  const parser = new SseParser();
  const events: SseEvent[] = [];
  let from = 0;
  for (const cut of [...cuts, bytes.length]) {
    events.push(...parser.push(bytes.subarray(from, cut)));
    from = cut;
  }
  assert.equal(parser.hasPartial, false);
  return events;
}

describe('SseParser', () => {
  it('parses a whole stream: comments skipped, CRLF/LF/CR line ends, multi-line data, event types', () => {
    assert.deepEqual(parseInPieces(Buffer.from(STREAM), []), EXPECTED);
  });

  it('gives the same events however the bytes are split, even inside \\r\\n and UTF-8 characters', () => {
    const bytes = Buffer.from(STREAM);
    for (let cut = 1; cut < bytes.length; cut++) assert.deepEqual(parseInPieces(bytes, [cut]), EXPECTED, `split at byte ${cut}`);
    const everyByte = Array.from({ length: bytes.length - 1 }, (_, i) => i + 1);
    assert.deepEqual(parseInPieces(bytes, everyByte), EXPECTED);
  });

  it('keeps a partial event pending until it is complete', () => {
    const parser = new SseParser();
    assert.deepEqual(parser.push('data: {"a"'), []);
    assert.equal(parser.hasPartial, true);
    assert.deepEqual(parser.push(':1}\n'), []);
    assert.deepEqual(parser.push('\n'), [{ event: undefined, data: '{"a":1}' }]);
  });

  it('refuses a line longer than its bound instead of buffering without end', () => {
    const parser = new SseParser({ maxLineChars: 16 });
    assert.throws(() => parser.push('data: 0123456789abcdefghij'), /longer than 16/);
  });
});
