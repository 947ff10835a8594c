import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHttpMetrics, methodLabel } from './http-metrics.js';
import { addServiceLabel, createMetrics, wantsOpenMetrics } from './registry.js';

describe('createMetrics', () => {
  it('labels every series with the service and keeps registries apart', async () => {
    const a = createMetrics({ service: 'auth', runtime: false });
    const b = createMetrics({ service: 'chat-api', runtime: false });
    a.counter({ name: 'logins_total', help: 'Logins.', labelNames: ['outcome'] }).inc({ outcome: 'ok' });
    b.counter({ name: 'logins_total', help: 'Logins.', labelNames: ['outcome'] }).inc({ outcome: 'ok' }, 2);
    assert.match((await a.render()).body, /^logins_total\{outcome="ok",service="auth"\} 1$/m);
    assert.match((await b.render()).body, /^logins_total\{outcome="ok",service="chat-api"\} 2$/m);
  });

  it('includes Node runtime metrics', async () => {
    const m = createMetrics({ service: 'auth' });
    const body = (await m.render()).body;
    for (const name of ['process_cpu_seconds_total', 'process_resident_memory_bytes', 'nodejs_heap_size_used_bytes', 'nodejs_eventloop_lag_seconds', 'nodejs_gc_duration_seconds']) {
      assert.match(body, new RegExp(`^# TYPE ${name} `, 'm'), name);
    }
  });

  it('negotiates OpenMetrics and leaves the Prometheus format intact afterwards', async () => {
    const m = createMetrics({ service: 'auth', runtime: false });
    m.counter({ name: 'events_total', help: 'Events.' }).inc();
    const om = await m.render('application/openmetrics-text;version=1.0.0,text/plain;q=0.5');
    assert.match(om.contentType, /^application\/openmetrics-text/);
    assert.match(om.body, /^# TYPE events counter$/m);
    assert.match(om.body, /^events_total\{service="auth"\} 1$/m);
    assert.match(om.body, /# EOF\n$/);
    const text = await m.render('text/plain');
    assert.match(text.contentType, /^text\/plain; version=0\.0\.4/);
    assert.match(text.body, /^# TYPE events_total counter$/m);
    assert.equal(wantsOpenMetrics(undefined), false);
  });

  it('turns every metric into a no-op when disabled', async () => {
    const m = createMetrics({ service: 'auth', enabled: false });
    const c = m.counter({ name: 'x_total', help: 'x', labelNames: ['a'] });
    c.inc({ a: '1' });
    c.labels('1').inc();
    m.histogram({ name: 'h_seconds', help: 'h' }).startTimer()();
    m.gauge({ name: 'g', help: 'g' }).set(3);
    assert.equal(m.enabled, false);
    assert.equal((await m.render()).body.trim(), '');
  });
});

describe('http metrics', () => {
  it('records the exact status, the route template and in-progress counts', async () => {
    const m = createMetrics({ service: 'chat-api', runtime: false });
    const http = createHttpMetrics(m);
    http.start('GET', '/api/conversations/:id');
    let body = (await m.render()).body;
    assert.match(body, /^http_requests_in_progress\{method="GET",route="\/api\/conversations\/:id",service="chat-api"\} 1$/m);
    http.finish('GET', '/api/conversations/:id', 503, 0.02);
    body = (await m.render()).body;
    assert.match(body, /^http_requests_total\{method="GET",route="\/api\/conversations\/:id",status="503",service="chat-api"\} 1$/m);
    assert.match(body, /^http_requests_in_progress\{method="GET",route="\/api\/conversations\/:id",service="chat-api"\} 0$/m);
    assert.match(body, /^http_request_duration_seconds_bucket\{le="0\.025",method="GET",route="\/api\/conversations\/:id",service="chat-api"\} 1$/m);
  });

  it('puts time to first byte in the latency histogram and the whole stream apart', async () => {
    const m = createMetrics({ service: 'chat-api', runtime: false });
    const http = createHttpMetrics(m);
    http.start('POST', '/stream');
    http.finish('POST', '/stream', 200, 540, 0.04);
    const body = (await m.render()).body;
    assert.match(body, /^http_request_duration_seconds_sum\{method="POST",route="\/stream",service="chat-api"\} 0\.04$/m);
    assert.match(body, /^http_stream_duration_seconds_sum\{method="POST",route="\/stream",service="chat-api"\} 540$/m);
    assert.match(body, /^http_stream_duration_seconds_bucket\{le="600",method="POST",route="\/stream",service="chat-api"\} 1$/m);
    assert.match(body, /^http_stream_duration_seconds_bucket\{le="300",method="POST",route="\/stream",service="chat-api"\} 0$/m);
  });

  it('bounds the method label', () => {
    assert.equal(methodLabel('GET'), 'GET');
    assert.equal(methodLabel('BREW'), 'OTHER');
  });
});

describe('addServiceLabel', () => {
  it('adds service as the last label of every sample, leaving comments alone', () => {
    const text = [
      '# HELP a_total A.',
      '# TYPE a_total counter',
      'a_total 3',
      'b{x="1"} 2',
      'c_bucket{le="+Inf",route="/a b}"} 4',
      'd{x="q\\"uote"} 1 1700000000000',
      '',
    ].join('\n');
    assert.equal(
      addServiceLabel(text, 'chat-api'),
      [
        '# HELP a_total A.',
        '# TYPE a_total counter',
        'a_total{service="chat-api"} 3',
        'b{x="1",service="chat-api"} 2',
        'c_bucket{le="+Inf",route="/a b}",service="chat-api"} 4',
        'd{x="q\\"uote",service="chat-api"} 1 1700000000000',
        '',
      ].join('\n'),
    );
  });

  it('refuses a metric that declares service itself', () => {
    const m = createMetrics({ service: 'auth', runtime: false });
    assert.throws(() => m.counter({ name: 'x_total', help: 'x', labelNames: ['service'] }), /"service" is added to every series already/);
  });
});
