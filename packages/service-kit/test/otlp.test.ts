import assert from 'node:assert/strict';
import { createServer, type IncomingMessage } from 'node:http';
import { describe, it } from 'node:test';
import { freePort } from '../../../test/support/ports.js';
import { buildTestApp } from './support/app.js';
import { eventually } from './support/http.js';

describe('OTLP/HTTP export', () => {
  it('sends spans to OTEL_EXPORTER_OTLP_ENDPOINT/v1/traces', async () => {
    const received: Array<{ url: string; body: string; type: string }> = [];
    const collector = createServer((req: IncomingMessage, res) => {
      let body = '';
      req.on('data', (c) => (body += c));
      req.on('end', () => {
        received.push({ url: req.url ?? '', body, type: String(req.headers['content-type']) });
        res.writeHead(200, { 'content-type': 'application/json' }).end('{}');
      });
    });
    await new Promise<void>((r) => collector.listen(0, '127.0.0.1', r));
    const { port } = collector.address() as { port: number };
    const t = await buildTestApp((app) => {
      app.get('/x', async () => ({}));
    }, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
    const res = await t.app.inject({ url: '/x' });
    await t.close(); // shutdown flushes the batch
    await eventually(() => received.length > 0);
    collector.close();
    assert.equal(received[0]?.url, '/v1/traces');
    assert.match(received[0]?.type ?? '', /application\/(json|x-protobuf)/);
    const traceId = String(res.headers['x-trace-id']);
    // JSON encoding carries the id as hex; protobuf as raw bytes.
    const raw = Buffer.from(received.map((r) => r.body).join(''), 'latin1');
    assert.ok(raw.includes(traceId) || raw.includes(Buffer.from(traceId, 'hex')), 'the request span reached the collector');
  });

  it('an unreachable collector never fails a request and is reported, rate-limited', async () => {
    const port = await freePort();
    // Standard OTEL_* knobs, honoured by the SDK: flush fast and give up fast, so the
    // failure shows within the test's patience.
    process.env.OTEL_BSP_SCHEDULE_DELAY = '100';
    process.env.OTEL_EXPORTER_OTLP_TIMEOUT = '500';
    const t = await buildTestApp((app) => {
      app.get('/x', async () => ({ ok: true }));
    }, { env: { OTEL_EXPORTER_OTLP_ENDPOINT: `http://127.0.0.1:${port}` } });
    for (let i = 0; i < 20; i++) assert.equal((await t.app.inject({ url: '/x' })).statusCode, 200);
    const reports = await eventually(() => {
      const r = t.logs.lines().filter((l) => l.logger === 'otel');
      return r.length > 0 && r;
    }, 10_000);
    assert.ok(reports.length <= 2, `rate-limited: ${reports.length} lines`);
    assert.match(String(reports[0]?.message), /^otel_sdk_(error|warning)$/);
    assert.match(String(reports[0]?.error), /ECONNREFUSED/);
    delete process.env.OTEL_BSP_SCHEDULE_DELAY;
    delete process.env.OTEL_EXPORTER_OTLP_TIMEOUT;
    await t.close();
  });
});
