import assert from 'node:assert/strict';
import { Writable } from 'node:stream';
import { describe, it } from 'node:test';
import type { FastifyReply, FastifyRequest } from 'fastify';
import { SseResponse } from './sse-response.js';

// A response whose socket buffer holds one write: the second write must wait for 'drain'.
function fakeReply() {
  const written: string[] = [];
  let release: (() => void) | undefined;
  const raw = new Writable({
    highWaterMark: 1,
    write(chunk: Buffer, _enc, callback) {
      written.push(chunk.toString());
      release = callback;
    },
  }) as Writable & { writeHead: (status: number, headers: Record<string, unknown>) => void; flushHeaders: () => void; head?: { status: number; headers: Record<string, unknown> } };
  raw.writeHead = (status, headers) => void (raw.head = { status, headers });
  raw.flushHeaders = () => {};
  let hijacked = false;
  const reply = {
    raw,
    hijack: () => void (hijacked = true),
    getHeaders: () => ({ 'x-trace-id': 'abc', traceparent: 'tp', 'x-unset': undefined }),
  } as unknown as FastifyReply;
  return { reply, raw, written, drain: () => release?.(), isHijacked: () => hijacked };
}

const tick = () => new Promise((r) => setImmediate(r));

describe('SseResponse', () => {
  it('hijacks, sends the SSE and trace headers, and waits for drain when the socket is full', async () => {
    const f = fakeReply();
    const sse = new SseResponse({} as FastifyRequest, f.reply);
    sse.open();
    sse.open(); // once
    assert.ok(f.isHijacked());
    assert.deepEqual(f.raw.head, {
      status: 200,
      headers: { 'x-trace-id': 'abc', traceparent: 'tp', 'content-type': 'text/event-stream; charset=utf-8', 'cache-control': 'no-cache, no-transform', 'x-accel-buffering': 'no' },
    });
    let sent = false;
    const first = sse.send('{"token":"a"}').then(() => (sent = true));
    await tick();
    assert.equal(sent, false, 'the buffer is full: send waits');
    assert.deepEqual(f.written, ['data: {"token":"a"}\n\n']);
    f.drain();
    await first;
    assert.equal(sent, true);
  });

  it('stops waiting and drops writes once the client is gone', async () => {
    const f = fakeReply();
    const sse = new SseResponse({} as FastifyRequest, f.reply);
    sse.open();
    const pending = sse.send('{"token":"a"}');
    f.raw.destroy();
    await pending;
    assert.equal(sse.closed, true);
    await sse.send('{"done":true}');
    sse.end();
    assert.deepEqual(f.written, ['data: {"token":"a"}\n\n']);
  });
});
