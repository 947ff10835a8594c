import assert from 'node:assert/strict';
import { connect } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { writeHeapSnapshot } from 'node:v8';
import Fastify, { type FastifyInstance } from 'fastify';
import { SseClient } from '../src/messages/sse-client.js';

// The client end of an answer stream, on a real loopback socket: what a client reads, byte
// for byte, when the response opens with and without its first event.

const FIRST = Buffer.from('data: {"token":"Hel"}\n\n');

/** Reads raw bytes from `port` after sending `request` until `until` matches (or 5 s). */
function rawExchange(port: number, path: string, until: RegExp): Promise<{ chunks: string[]; text: string }> {
  return new Promise((resolve, reject) => {
    const socket = connect(port, '127.0.0.1');
    const chunks: string[] = [];
    const timer = setTimeout(() => {
      socket.destroy();
      reject(new Error(`no match for ${until} in 5 s; read: ${JSON.stringify(chunks.join(''))}`));
    }, 5000);
    socket.on('data', (chunk: Buffer) => {
      chunks.push(chunk.toString('latin1'));
      const text = chunks.join('');
      if (until.test(text)) {
        clearTimeout(timer);
        socket.destroy();
        resolve({ chunks, text });
      }
    });
    socket.on('error', reject);
    socket.write(`GET ${path} HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n`);
  });
}

describe('SseClient', () => {
  let app: FastifyInstance;
  let port = 0;
  const open: SseClient[] = [];
  const dir = mkdtempSync(join(tmpdir(), 'sse-client-'));

  before(async () => {
    app = Fastify();
    app.get<{ Querystring: { first?: string } }>('/stream', async (request, reply) => {
      reply.header('x-trace-id', '0af7651916cd43dd8448eb211c80319c');
      const client = new SseClient(request, reply, 10_000, () => undefined);
      open.push(client);
      client.open({ 'x-answer-message-id': 'a-1' }, request.query.first === '1' ? FIRST : undefined);
    });
    await app.listen({ port: 0, host: '127.0.0.1' });
    port = (app.server.address() as { port: number }).port;
  });

  after(async () => {
    for (const c of open) c.end();
    await app.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('sends the headers and the first event together, the reply’s own headers included', async () => {
    const { text } = await rawExchange(port, '/stream?first=1', /data: \{"token":"Hel"\}\n\n/);
    const [head, body] = text.split('\r\n\r\n');
    assert.match(head as string, /^HTTP\/1\.1 200 OK/);
    assert.match(head as string, /\r\ncontent-type: text\/event-stream; charset=utf-8/i);
    assert.match(head as string, /\r\ncache-control: no-cache, no-transform/i);
    assert.match(head as string, /\r\nx-answer-message-id: a-1/i);
    assert.match(head as string, /\r\nx-trace-id: 0af7651916cd43dd8448eb211c80319c/i, 'a hijacked reply keeps the headers set on Fastify’s reply');
    // Chunked framing around the event, exactly as written.
    assert.ok((body as string).startsWith(`${FIRST.length.toString(16)}\r\n${FIRST.toString()}`), JSON.stringify(body));
  });

  it('flushes the headers at once when there is no first event yet', async () => {
    const { text } = await rawExchange(port, '/stream', /\r\n\r\n/);
    assert.match(text, /^HTTP\/1\.1 200 OK[\s\S]*x-answer-message-id: a-1[\s\S]*\r\n\r\n$/i);
  });

  it('keeps no concatenated-string tree of the header block for an open response', async () => {
    // Response headers written ahead of a Buffer by res.write stay a tree of concatenated
    // strings for the response's whole life (~1 KiB an open stream); flushed as a string they
    // are flattened. 50 open responses: the tree would be ≥ 1,500 concatenated strings.
    const count = 50;
    const consStrings = () => {
      const file = join(dir, `heap-${Date.now()}.heapsnapshot`);
      writeHeapSnapshot(file);
      const snapshot = JSON.parse(readFileSync(file, 'utf8')) as { snapshot: { meta: { node_fields: string[]; node_types: [string[]] } }; nodes: number[] };
      const types = snapshot.snapshot.meta.node_types[0];
      const width = snapshot.snapshot.meta.node_fields.length;
      let n = 0;
      for (let i = 0; i < snapshot.nodes.length; i += width) if (types[snapshot.nodes[i] as number] === 'concatenated string') n++;
      return n;
    };
    const beforeCount = consStrings();
    for (let i = 0; i < count; i++) await rawExchange(port, '/stream?first=1', /"Hel"/);
    const grown = consStrings() - beforeCount;
    assert.ok(grown < 10 * count, `${grown} more concatenated strings with ${count} open responses (a header tree is ~30 each)`);
  });
});
