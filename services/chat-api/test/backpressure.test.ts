import assert from 'node:assert/strict';
import { connect, type Socket } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import { startChildInference, type ChildInference } from './support/child-inference.js';
import { newInternalKey, startHarness, type Harness } from './support/harness.js';
import { eventually } from './support/sse.js';

const TOTAL_BYTES = 48 * 1024 * 1024;
const TOKEN_BYTES = 16 * 1024;
// What chat-api may hold for one paused client: socket buffer high-water mark plus one
// forwarded chunk and a partial event. Anything near the answer's size means it buffered.
const MAX_HELD_BYTES = 1024 * 1024;

/** Waits until `read()` stops changing for `quietMs`; returns the settled value. */
async function settle(read: () => Promise<number>, quietMs: number, timeoutMs: number): Promise<number> {
  const deadline = Date.now() + timeoutMs;
  let last = await read();
  let since = Date.now();
  while (Date.now() < deadline) {
    await sleep(100);
    const now = await read();
    if (now !== last) {
      last = now;
      since = Date.now();
    } else if (Date.now() - since >= quietMs) {
      return now;
    }
  }
  throw new Error(`value still moving after ${timeoutMs} ms (last ${last})`);
}

describe('backpressure: a client that stops reading', () => {
  let inference: ChildInference;
  let h: Harness;
  let socket: Socket | undefined;
  before(async () => {
    const key = newInternalKey();
    inference = await startChildInference(key);
    h = await startHarness({ inference, internalApiKey: key });
  });
  after(async () => {
    socket?.destroy();
    await h?.close();
    await inference?.stop();
  });

  it('stops reading inference while the client is paused, holds little in memory, and delivers everything once it reads again', async () => {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    await inference.script({ bulk: { totalBytes: TOTAL_BYTES, tokenBytes: TOKEN_BYTES } });
    const { port } = new URL(h.url);
    const body = JSON.stringify({ content: 'flood me' });
    socket = connect(Number(port), '127.0.0.1');
    socket.pause();
    socket.write(
      `POST /api/conversations/${id}/messages HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${h.alice.token}\r\n` +
        `Connection: close\r\nContent-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );

    // Inference pushes as fast as it can until TCP stops it: chat-api stopped reading.
    await eventually(async () => (await inference.bulkBytesSent()) > 0, 5000, 'inference started');
    const stalledAt = await settle(() => inference.bulkBytesSent(), 700, 20_000);
    assert.ok(stalledAt < TOTAL_BYTES / 2, `inference was stopped after ${stalledAt} of ${TOTAL_BYTES} bytes`);
    const held = (await h.metric('chat_stream_buffered_bytes{service="chat-api"}')) as number;
    assert.ok(held <= MAX_HELD_BYTES, `chat-api holds ${held} bytes for the paused client`);
    assert.equal(await h.metric('chat_active_streams{service="chat-api"}'), 1);
    // What went through is already in the database (flushed as it streamed), not held in memory.
    const { rows: partial } = await h.db.query<{ status: string; flushed: number }>(
      `SELECT m.status, (SELECT coalesce(sum(length(p.content)), 0) FROM message_parts p WHERE p.message_id = m.id)::int AS flushed
         FROM messages m WHERE m.conversation_id = $1 AND m.role = 'assistant'`,
      [id],
    );
    assert.equal(partial[0]?.status, 'streaming');
    assert.ok((partial[0]?.flushed ?? 0) > 0, 'part of the answer was flushed while the client was paused');

    // The client reads again: everything arrives, in order, and the answer is persisted whole.
    let received = 0;
    let tail = '';
    const ended = new Promise<void>((resolve) => socket!.on('end', resolve));
    socket.on('data', (chunk: Buffer) => {
      received += chunk.length;
      tail = (tail + chunk.toString('latin1')).slice(-128);
    });
    socket.resume();
    await ended;
    assert.ok(received > TOTAL_BYTES, `client received ${received} bytes`);
    // The last event, then the end of the chunked body.
    assert.match(tail, /data: \{"done":true,"message_id":"[0-9a-f-]{36}"\}\n\n\r\n0\r\n\r\n$/);
    const { rows } = await h.db.query<{ length: number; status: string; token_count: number }>(
      `SELECT length(content) AS length, status, token_count FROM messages WHERE conversation_id = $1 AND role = 'assistant'`,
      [id],
    );
    assert.deepEqual(rows, [{ length: TOTAL_BYTES, status: 'complete', token_count: TOTAL_BYTES / TOKEN_BYTES }]);
    assert.equal(await h.metric('chat_stream_buffered_bytes{service="chat-api"}'), 0);
  });
});

describe('backpressure: a client that never reads again', () => {
  let h: Harness;
  let socket: Socket | undefined;
  before(async () => {
    h = await startHarness({ clientStallTimeoutMs: 500 });
  });
  after(async () => {
    socket?.destroy();
    await h?.close();
  });

  it('is cut off after the stall timeout while the answer is still read to the end and persisted', async () => {
    const id = (await h.call('POST', '/api/conversations', { body: {} })).json.id as string;
    const total = 16 * 1024 * 1024;
    await h.inference.script({ bulk: { totalBytes: total, tokenBytes: TOKEN_BYTES } });
    const body = JSON.stringify({ content: 'and then I left' });
    socket = connect(Number(new URL(h.url).port), '127.0.0.1');
    socket.pause();
    socket.write(
      `POST /api/conversations/${id}/messages HTTP/1.1\r\nHost: test\r\nAuthorization: Bearer ${h.alice.token}\r\n` +
        `Content-Type: application/json\r\nContent-Length: ${Buffer.byteLength(body)}\r\n\r\n${body}`,
    );
    const answer = await eventually(async () => {
      const { rows } = await h.db.query<{ length: number; status: string }>(`SELECT length(content) AS length, status FROM messages WHERE conversation_id = $1 AND role = 'assistant'`, [id]);
      // Long answers are flushed as they stream: wait for the row to be completed.
      return rows[0]?.status === 'complete' ? rows[0] : undefined;
    }, 20_000, 'answer persisted');
    assert.deepEqual(answer, { length: total, status: 'complete' });
    // chat-api hung up on the client: what it had buffered drains, then the connection ends.
    let received = 0;
    const closed = new Promise<void>((resolve) => socket!.once('close', () => resolve()));
    socket.on('data', (chunk: Buffer) => (received += chunk.length));
    socket.on('error', () => undefined);
    socket.resume();
    await closed;
    assert.ok(received < total, `the client got ${received} of ${total} bytes before it was cut off`);
    assert.equal(await h.metric('chat_client_disconnects_total{service="chat-api"}'), 1);
    assert.equal(h.logs.find('stream_client_disconnected')[0]?.conversation_id, id);
    assert.equal(await h.metric('chat_stream_duration_seconds_count{outcome="client_disconnected",service="chat-api"}'), 1);
  });
});
