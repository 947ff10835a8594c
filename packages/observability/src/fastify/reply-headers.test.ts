import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import Fastify, { type FastifyReply } from 'fastify';
import { traceHeaders, type TraceHeaders } from './reply-headers.js';

async function answer(headers: TraceHeaders, traceId: string, traceparent: string, extra?: [string, string]) {
  const app = Fastify({ logger: false });
  app.addHook('onRequest', (_request, reply, done) => {
    headers.setTrace(reply, traceId, traceparent);
    if (extra) headers.set(reply, extra[0], extra[1]);
    done();
  });
  app.get('/', async (_request, reply) => ({ seen: reply.getHeaders() }));
  const res = await app.inject({ method: 'GET', url: '/' });
  await app.close();
  return res;
}

describe('traceHeaders', () => {
  it('sets headers that Fastify sends, on the first reply (public API) and on later ones (its store)', async () => {
    const headers = traceHeaders();
    for (let i = 0; i < 3; i++) {
      const res = await answer(headers, `t${i}`, `00-${i}`, ['x-span-name', `n${i}`]);
      assert.equal(res.headers['x-trace-id'], `t${i}`);
      assert.equal(res.headers.traceparent, `00-${i}`);
      assert.equal(res.headers['x-span-name'], `n${i}`);
      assert.deepEqual((res.json() as { seen: Record<string, string> }).seen, { 'x-trace-id': `t${i}`, traceparent: `00-${i}`, 'x-span-name': `n${i}` });
    }
  });

  it('lets a later reply.header of the same name replace the value, as reply.header does', async () => {
    const headers = traceHeaders();
    await answer(headers, 'a', 'b');
    const app = Fastify({ logger: false });
    app.addHook('onRequest', (_request, reply, done) => {
      headers.setTrace(reply, 'first', '00-first');
      reply.header('X-Trace-Id', 'second');
      done();
    });
    app.get('/', async () => 'ok');
    const res = await app.inject({ method: 'GET', url: '/' });
    await app.close();
    assert.equal(res.headers['x-trace-id'], 'second');
    assert.equal(res.headers.traceparent, '00-first');
  });

  it('reads the content type set on the reply or on the raw response, as reply.getHeader does', async () => {
    const headers = traceHeaders();
    const seen: unknown[] = [];
    const app = Fastify({ logger: false });
    app.addHook('onRequest', (_request, reply, done) => {
      seen.push(headers.contentType(reply));
      headers.setTrace(reply, 'abc', '00-abc');
      done();
    });
    app.addHook('onSend', (_request, reply, payload, done) => {
      seen.push(headers.contentType(reply));
      done(null, payload);
    });
    app.get('/reply', async (_request, reply) => reply.type('text/event-stream').send('data: x\n\n'));
    app.get('/raw', async (_request, reply) => {
      reply.raw.setHeader('Content-Type', 'text/plain');
      return 'x';
    });
    for (const url of ['/reply', '/raw', '/reply', '/raw']) await app.inject({ method: 'GET', url });
    await app.close();
    assert.deepEqual(seen, [undefined, 'text/event-stream', undefined, 'text/plain', undefined, 'text/event-stream', undefined, 'text/plain']);
  });

  it('keeps to reply.header and reply.getHeader when the reply keeps its headers elsewhere', () => {
    const headers = traceHeaders();
    const calls: Array<[string, string]> = [];
    const reply = { header: (name: string, value: string) => calls.push([name, value]), getHeader: (name: string) => `via-${name}` } as unknown as FastifyReply;
    headers.setTrace(reply, 'a', '00-a');
    headers.setTrace(reply, 'b', '00-b');
    headers.set(reply, 'x-span-name', 'n');
    assert.equal(headers.contentType(reply), 'via-content-type');
    assert.deepEqual(calls, [
      ['x-trace-id', 'a'],
      ['traceparent', '00-a'],
      ['x-trace-id', 'b'],
      ['traceparent', '00-b'],
      ['x-span-name', 'n'],
    ]);
  });
});
