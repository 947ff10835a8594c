import assert from 'node:assert/strict';
import type { AddressInfo } from 'node:net';
import { describe, it } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import Fastify, { type FastifyInstance } from 'fastify';
import { createObservability } from '@samosachaat/observability';
import { connectionsCheckingIntervalMs, httpServerOptions, observabilityConfigFromEnv, servicePlugin, serverTimeoutsFromEnv, type ServerTimeouts } from '../src/index.js';
import { LogCapture } from '../../observability/test/support/log-capture.js';
import { silentConnection, slowBody } from '../../../test/support/slow-client.js';
import { scaled } from '../../../test/support/timeouts.js';

const TIMEOUTS = serverTimeoutsFromEnv({ HTTP_HEADERS_TIMEOUT_MS: '600', HTTP_REQUEST_TIMEOUT_MS: '1200', HTTP_KEEP_ALIVE_TIMEOUT_MS: '800' });

async function start(timeouts: ServerTimeouts, routes: (app: FastifyInstance) => void): Promise<{ url: string; close(): Promise<void> }> {
  const obs = createObservability(observabilityConfigFromEnv('timeouts-test', { LOG_LEVEL: 'debug' }), { logDestination: new LogCapture(), registerGlobalTracer: false, runtimeMetrics: false });
  const app = Fastify({ logger: false, ...httpServerOptions(obs, timeouts) });
  await app.register(servicePlugin, { obs, localMode: true });
  routes(app);
  await app.listen({ host: '127.0.0.1', port: 0 });
  return {
    url: `http://127.0.0.1:${(app.server.address() as AddressInfo).port}`,
    close: async () => {
      await app.close();
      await obs.shutdown();
    },
  };
}

// A close may come up to one checking interval after the bound, plus scheduling on a busy
// machine: what matters is that the connection is closed, not a timer's punctuality under load.
const late = (bound: number) => bound + connectionsCheckingIntervalMs(TIMEOUTS) + scaled(2000);

describe('server timeouts', { timeout: scaled(60_000) }, () => {
  it('closes a connection that trickles its body once HTTP_REQUEST_TIMEOUT_MS is spent, with a 408', async () => {
    const server = await start(TIMEOUTS, (app) => app.post('/echo', async (request) => request.body));
    try {
      const closed = await slowBody(server.url, { head: 'POST /echo HTTP/1.1\r\nhost: x\r\ncontent-type: application/json', bodyBytes: 10_000, trickleMs: 100, giveUpMs: scaled(20_000) });
      assert.equal(closed.status, 408, closed.received);
      assert.match(closed.received, /"code":"REQUEST_TIMEOUT","message":"the request was not received in time; send it again, faster","trace_id":"[0-9a-f]{32}"/);
      assert.ok(closed.elapsedMs >= TIMEOUTS.requestTimeoutMs - 50, `closed after ${closed.elapsedMs} ms, before the ${TIMEOUTS.requestTimeoutMs} ms bound`);
      assert.ok(closed.elapsedMs <= late(TIMEOUTS.requestTimeoutMs), `closed after ${closed.elapsedMs} ms; the bound is ${TIMEOUTS.requestTimeoutMs} ms`);
    } finally {
      await server.close();
    }
  });

  it('closes a connection that never finishes its headers once HTTP_HEADERS_TIMEOUT_MS is spent', async () => {
    const server = await start(TIMEOUTS, (app) => app.get('/x', async () => ({ ok: true })));
    try {
      const partial = await silentConnection(server.url, { bytes: 'GET /x HTTP/1.1\r\nhost: x\r\n', giveUpMs: scaled(20_000) });
      assert.equal(partial.status, 408, partial.received);
      assert.ok(partial.elapsedMs >= TIMEOUTS.headersTimeoutMs - 50 && partial.elapsedMs <= late(TIMEOUTS.headersTimeoutMs), `closed after ${partial.elapsedMs} ms; the bound is ${TIMEOUTS.headersTimeoutMs} ms`);
      const silent = await silentConnection(server.url, { giveUpMs: scaled(20_000) });
      assert.ok(silent.elapsedMs <= late(TIMEOUTS.headersTimeoutMs), `a connection that sent nothing lived ${silent.elapsedMs} ms; the bound is ${TIMEOUTS.headersTimeoutMs} ms`);
    } finally {
      await server.close();
    }
  });

  it('closes an idle keep-alive connection after HTTP_KEEP_ALIVE_TIMEOUT_MS', async () => {
    const server = await start(TIMEOUTS, (app) => app.get('/x', async () => ({ ok: true })));
    try {
      const idle = await silentConnection(server.url, { bytes: 'GET /x HTTP/1.1\r\nhost: x\r\n\r\n', giveUpMs: scaled(20_000) });
      assert.equal(idle.status, 200, idle.received);
      assert.ok(idle.elapsedMs >= TIMEOUTS.keepAliveTimeoutMs - 50 && idle.elapsedMs <= late(TIMEOUTS.keepAliveTimeoutMs), `kept ${idle.elapsedMs} ms; the bound is ${TIMEOUTS.keepAliveTimeoutMs} ms`);
    } finally {
      await server.close();
    }
  });

  it('never cuts a streamed answer that lasts longer than every bound', async () => {
    const lastsMs = TIMEOUTS.requestTimeoutMs * 2;
    const server = await start(TIMEOUTS, (app) =>
      app.get('/events', (_request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
        let n = 0;
        const timer = setInterval(() => {
          reply.raw.write(`data: {"n":${n++}}\n\n`);
        }, 200);
        setTimeout(() => {
          clearInterval(timer);
          reply.raw.end('data: {"done":true}\n\n');
        }, lastsMs);
      }),
    );
    try {
      const started = performance.now();
      const res = await fetch(`${server.url}/events`);
      const text = await res.text();
      assert.equal(res.status, 200);
      assert.ok(text.endsWith('data: {"done":true}\n\n'), 'the stream ran to its end');
      assert.ok(performance.now() - started >= lastsMs - 50);
      // The same connection is still usable for the next request of a client that keeps it.
      await sleep(10);
    } finally {
      await server.close();
    }
  });
});
