import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { eventData, SseEventTooLargeError, SseParser } from './sse-parser.js';

function feed(parser: SseParser, pieces: Array<string | Buffer>) {
  return pieces.flatMap((p) => parser.push(typeof p === 'string' ? Buffer.from(p) : p));
}

describe('SseParser', () => {
  it('splits events across arbitrary chunk boundaries, keeping every byte', () => {
    const stream = 'data: {"token":"a"}\n\ndata: {"token":"🙏"}\n\n: keep-alive\n\nevent: x\ndata: {"done":true}\n\n';
    const bytes = Buffer.from(stream);
    for (const size of [1, 2, 3, 7, 64]) {
      const parser = new SseParser();
      const pieces: Buffer[] = [];
      for (let i = 0; i < bytes.length; i += size) pieces.push(bytes.subarray(i, i + size));
      const events = feed(parser, pieces);
      assert.equal(Buffer.concat(events.map((e) => e.raw)).toString(), stream, `chunks of ${size}`);
      assert.deepEqual(events.map((e) => e.data), ['{"token":"a"}', '{"token":"🙏"}', undefined, '{"done":true}']);
      assert.equal(parser.bufferedBytes, 0);
    }
  });

  it('understands CRLF (even split between chunks) and CR line endings', () => {
    const parser = new SseParser();
    const events = feed(parser, ['data: 1\r\n\r', '\ndata: 2\r\r', 'data: 3\n\n']);
    assert.deepEqual(events.map((e) => [e.raw.toString(), e.data]), [
      ['data: 1\r\n\r\n', '1'],
      ['data: 2\r\r', '2'],
      ['data: 3\n\n', '3'],
    ]);
  });

  it('joins multi-line data, strips one leading space, and treats a bare "data" as empty', () => {
    const parser = new SseParser();
    const [event, bare] = feed(parser, ['data:  two spaces\ndata:x\nid: 7\n\ndata\n\n']);
    assert.equal(event?.data, ' two spaces\nx');
    assert.equal(bare?.data, '');
  });

  it('holds an unfinished event back and reports its size', () => {
    const parser = new SseParser();
    assert.deepEqual(feed(parser, ['data: {"token":"par']), []);
    assert.equal(parser.bufferedBytes, 19);
    const [done] = feed(parser, ['tial"}\n\n']);
    assert.equal(done?.data, '{"token":"partial"}');
  });

  it('refuses an event that grows past the limit', () => {
    const parser = new SseParser(1024);
    assert.throws(() => parser.push(Buffer.from(`data: ${'x'.repeat(2000)}`)), SseEventTooLargeError);
  });

  it('scan gives the same events as byte ranges, and says when a chunk was exactly its events', () => {
    const parser = new SseParser();
    const one = Buffer.from('data: {"token":"a"}\n\ndata: {"token":"b"}\n\n');
    assert.equal(parser.scan(one), 2);
    assert.equal(parser.buffer, one, 'no copy when nothing was carried in');
    assert.equal(parser.wholeChunk, true);
    assert.deepEqual([0, 1].map((k) => parser.buffer.toString('utf8', parser.eventStart(k), parser.eventEnd(k))), ['data: {"token":"a"}\n\n', 'data: {"token":"b"}\n\n']);
    assert.equal(parser.scan(Buffer.from('data: {"tok')), 0);
    assert.equal(parser.wholeChunk, false);
    assert.equal(parser.scan(Buffer.from('en":"c"}\n\ndata: x')), 1);
    assert.equal(parser.wholeChunk, false, 'carried in and left over');
    assert.equal(eventData(parser.buffer, parser.eventStart(0), parser.eventEnd(0)), '{"token":"c"}');
    assert.equal(parser.bufferedBytes, 7);
  });
});

