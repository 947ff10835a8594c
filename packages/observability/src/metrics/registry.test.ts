import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { createHttpMetrics, methodLabel } from './http-metrics.js';
import { Registry, type Metric, type OpenMetricsContentType } from 'prom-client';
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

  it("renders family by family, letting the event loop run between families, with prom-client's exact text", async () => {
    const m = createMetrics({ service: 'chat-api', runtime: false });
    const requests = m.counter({ name: 'reqs_total', help: 'Requests.', labelNames: ['route'] });
    const latency = m.histogram({ name: 'latency_seconds', help: 'Latency.', labelNames: ['route'], buckets: [0.1, 1] });
    const open = m.gauge({ name: 'open_streams', help: 'Open.' });
    for (let i = 0; i < 40; i++) {
      requests.inc({ route: `/r${i}` }, i);
      latency.observe({ route: `/r${i}` }, i / 10);
    }
    open.set(3);

    // prom-client's own rendering of the same metrics, for comparison (the text format gets the
    // service label appended to each sample, as it always has).
    const expectedText = addServiceLabel(await m.registry.metrics(), 'chat-api');
    const openReference = new Registry<OpenMetricsContentType>();
    openReference.setContentType(Registry.OPENMETRICS_CONTENT_TYPE as OpenMetricsContentType);
    openReference.setDefaultLabels({ service: 'chat-api' });
    for (const metric of m.registry.getMetricsAsArray()) openReference.registerMetric(metric as unknown as Metric);
    const expectedOpen = await openReference.metrics();
    for (const metric of m.registry.getMetricsAsArray()) if ((metric as { type: unknown }).type === 'counter') (metric as { name: string }).name = `${metric.name.replace(/_total$/, '')}_total`;

    // A chain of immediates runs while the render is in progress: the loop is not held.
    let turns = 0;
    let rendering = true;
    const spin = (): void => {
      turns++;
      if (rendering) setImmediate(spin);
    };
    setImmediate(spin);
    const text = await m.render('text/plain');
    rendering = false;
    assert.ok(turns >= 3, `the event loop turned ${turns} times during the render of 3 families`);
    assert.equal(text.body, expectedText);
    assert.equal((await m.render('application/openmetrics-text')).body, expectedOpen);
    assert.equal((await m.render('text/plain')).body, expectedText, 'counter names restored after OpenMetrics');
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

  it('records through a route handle exactly what start/finish record, and keeps recording after a reset', async () => {
    const m = createMetrics({ service: 'chat-api', runtime: false });
    const http = createHttpMetrics(m);
    const handle = http.route('POST', '/api/send');
    handle.start();
    handle.finish(201, 0.02);
    http.start('POST', '/api/send');
    http.finish('POST', '/api/send', 201, 0.03);
    handle.start();
    handle.finish(200, 9, 0.5);
    let body = (await m.render()).body;
    assert.match(body, /^http_requests_total\{method="POST",route="\/api\/send",status="201",service="chat-api"\} 2$/m);
    assert.match(body, /^http_requests_total\{method="POST",route="\/api\/send",status="200",service="chat-api"\} 1$/m);
    assert.match(body, /^http_request_duration_seconds_count\{method="POST",route="\/api\/send",service="chat-api"\} 3$/m);
    assert.match(body, /^http_stream_duration_seconds_sum\{method="POST",route="\/api\/send",service="chat-api"\} 9$/m);
    assert.match(body, /^http_requests_in_progress\{method="POST",route="\/api\/send",service="chat-api"\} 0$/m);
    await m.registry.resetMetrics();
    assert.doesNotMatch((await m.render()).body, /route="\/api\/send"/);
    handle.start();
    handle.finish(201, 0.02);
    body = (await m.render()).body;
    assert.match(body, /^http_requests_total\{method="POST",route="\/api\/send",status="201",service="chat-api"\} 1$/m);
    assert.match(body, /^http_requests_in_progress\{method="POST",route="\/api\/send",service="chat-api"\} 0$/m);
  });

  it('counts each status of a route apart when statuses alternate and repeat, in the order first seen', async () => {
    const m = createMetrics({ service: 'chat-api', runtime: false });
    const handle = createHttpMetrics(m).route('GET', '/x');
    for (const status of [200, 200, 404, 200, 500, 500, 404, 200]) {
      handle.start();
      handle.finish(status, 0.01);
    }
    const body = (await m.render()).body;
    const totals = body.split('\n').filter((l) => l.startsWith('http_requests_total{'));
    assert.deepEqual(totals, [
      'http_requests_total{method="GET",route="/x",status="200",service="chat-api"} 4',
      'http_requests_total{method="GET",route="/x",status="404",service="chat-api"} 2',
      'http_requests_total{method="GET",route="/x",status="500",service="chat-api"} 2',
    ]);
  });

  it('gives a do-nothing route handle when metrics are off', async () => {
    const m = createMetrics({ service: 'chat-api', runtime: false, enabled: false });
    const handle = createHttpMetrics(m).route('GET', '/x');
    handle.start();
    handle.finish(200, 0.01);
    assert.doesNotMatch((await m.render()).body, /http_requests_total/);
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
