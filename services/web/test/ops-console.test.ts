import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { CheckResult } from '@samosachaat/service-kit';
import { fakeService, type FakeService } from './support/fake-services.js';
import { eventually, newInternalKey, startUpstream, startWeb, type Upstream, type WebHarness } from './support/harness.js';
import { scaled } from '../../../test/support/timeouts.js';

const T = '0af7651916cd43dd8448eb211c80319c';

describe('/ops/api/logs', { timeout: scaled(60_000) }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'web-logs-'));
  let web: WebHarness;
  before(async () => {
    const line = (timestamp: string, service: string, message: string, traceId?: string, level = 'info') => JSON.stringify({ timestamp, level, service, message, ...(traceId ? { trace_id: traceId } : {}) });
    writeFileSync(
      join(dir, 'web-2026-11-25.log'),
      [line('2026-11-25T10:00:00.000Z', 'web', 'http_request_completed', T), line('2026-11-25T10:00:00.500Z', 'web', 'other_event', 'f'.repeat(32))].join('\n') + '\n',
    );
    writeFileSync(
      join(dir, 'chat-api-2026-11-25.log'),
      [line('2026-11-25T10:00:00.100Z', 'chat-api', 'assistant_message_persisted', T), line('2026-11-25T10:00:00.200Z', 'chat-api', 'upstream_failed', T, 'error'), '{"torn'].join('\n') + '\n',
    );
    writeFileSync(join(dir, 'inference-2026-11-25.log'), `${line('2026-11-25T10:00:00.050Z', 'inference', 'generation_completed', T)}\n`);
    writeFileSync(join(dir, 'notes.txt'), 'not a log file\n');
    web = await startWeb({ LOG_DIR: dir });
  });
  after(async () => {
    await web?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  const logs = async (query: string) => {
    const res = await fetch(`${web.url}/ops/api/logs${query}`);
    return { status: res.status, body: (await res.json()) as { lines: Array<{ service: string; message: string; trace_id?: string }>; note?: string; error?: { code: string; message: string } } };
  };

  it("returns one trace's lines from every service in time order", async () => {
    const { status, body } = await logs(`?trace=${T}`);
    assert.equal(status, 200);
    assert.deepEqual(
      body.lines.map((l) => `${l.service} ${l.message}`),
      ['web http_request_completed', 'inference generation_completed', 'chat-api assistant_message_persisted', 'chat-api upstream_failed'],
    );
    assert.ok(body.lines.every((l) => l.trace_id === T));
  });

  it('filters by service and level, keeps the last `limit` lines, and reads every trace without `trace`', async () => {
    assert.deepEqual((await logs(`?trace=${T}&service=chat-api`)).body.lines.map((l) => l.message), ['assistant_message_persisted', 'upstream_failed']);
    assert.deepEqual((await logs(`?trace=${T}&level=error`)).body.lines.map((l) => l.message), ['upstream_failed']);
    assert.deepEqual((await logs(`?trace=${T}&limit=2`)).body.lines.map((l) => l.message), ['assistant_message_persisted', 'upstream_failed']);
    assert.equal((await logs('')).body.lines.length, 5);
  });

  it('answers 400 on a malformed trace id, limit or service', async () => {
    for (const [query, pattern] of [
      ['?trace=xyz', /trace must be a trace id/],
      ['?limit=0', /limit must be a whole number from 1 to 5000/],
      ['?service=mail', /service must be one of web, chat-api, auth, inference/],
      ['?level=loud', /level must be one of debug, info/],
    ] as const) {
      const { status, body } = await logs(query);
      assert.equal(status, 400, query);
      assert.match(body.error?.message ?? '', pattern);
    }
  });

  it('says why there are no lines when LOG_DIR is unset or missing', async () => {
    const none = await startWeb();
    const gone = await startWeb({ LOG_DIR: join(dir, 'does-not-exist') });
    try {
      const unset = (await (await fetch(`${none.url}/ops/api/logs?trace=${T}`)).json()) as { lines: unknown[]; note: string };
      assert.deepEqual(unset.lines, []);
      assert.match(unset.note, /^LOG_DIR is not set: /);
      const missing = (await (await fetch(`${gone.url}/ops/api/logs`)).json()) as { lines: unknown[]; note: string };
      assert.deepEqual(missing.lines, []);
      assert.match(missing.note, /no log folder at .*does-not-exist/);
    } finally {
      await none.close();
      await gone.close();
    }
  });
});

/** A /metrics answer whose counters grow by a fixed amount on every scrape. */
function growingMetrics(service: string) {
  let n = 0;
  return () => {
    n++;
    const lines = [
      '# TYPE http_requests_total counter',
      `http_requests_total{service="${service}",method="GET",route="/api/conversations",status="200"} ${8 * n}`,
      `http_requests_total{service="${service}",method="POST",route="/api/conversations/:id/messages",status="503"} ${2 * n}`,
      // Scrapes of /metrics are housekeeping: never counted.
      `http_requests_total{service="${service}",method="GET",route="/metrics",status="200"} ${1000 * n}`,
      '# TYPE http_request_duration_seconds histogram',
      `http_request_duration_seconds_bucket{service="${service}",method="GET",route="/api/conversations",le="0.05"} 0`,
      `http_request_duration_seconds_bucket{service="${service}",method="GET",route="/api/conversations",le="0.1"} ${10 * n}`,
      `http_request_duration_seconds_bucket{service="${service}",method="GET",route="/api/conversations",le="+Inf"} ${10 * n}`,
      `http_request_duration_seconds_bucket{service="${service}",method="GET",route="/metrics",le="0.05"} 0`,
      `http_request_duration_seconds_bucket{service="${service}",method="GET",route="/metrics",le="0.1"} 0`,
      `http_request_duration_seconds_bucket{service="${service}",method="GET",route="/metrics",le="+Inf"} ${1000 * n}`,
    ];
    if (service === 'inference') {
      lines.push(
        `inference_time_to_first_token_seconds_bucket{service="inference",model="demo",le="0.02"} 0`,
        `inference_time_to_first_token_seconds_bucket{service="inference",model="demo",le="0.04"} ${4 * n}`,
        `inference_time_to_first_token_seconds_bucket{service="inference",model="demo",le="+Inf"} ${4 * n}`,
        `inference_generated_tokens_total{service="inference",model="demo"} ${100 * n}`,
        'inference_active_generations{service="inference"} 2',
        'inference_queue_depth{service="inference"} 1',
      );
    }
    if (service === 'chat-api') lines.push('chat_active_streams{service="chat-api"} 3');
    return `${lines.join('\n')}\n`;
  };
}

describe('/ops/api/metrics', { timeout: scaled(60_000) }, () => {
  const key = newInternalKey();
  let chat: FakeService;
  let inference: FakeService;
  let web: WebHarness;
  before(async () => {
    chat = await fakeService('chat-api', key);
    inference = await fakeService('inference', key);
    chat.metrics = growingMetrics('chat-api');
    inference.metrics = growingMetrics('inference');
    web = await startWeb({ INTERNAL_API_KEY: key, CHAT_API_URL: chat.url, INFERENCE_URL: inference.url, METRICS_SCRAPE_INTERVAL_MS: '500' });
  });
  after(async () => {
    await web?.close();
    await chat?.close();
    await inference?.close();
  });

  it('turns consecutive scrapes into rates, error shares, p95 latencies, TTFT, tokens/s and gauges', async () => {
    type View = {
      at: string;
      window_s: number;
      services: Record<string, { up: boolean; request_rate: number | null; error_rate: number | null; p95_ms: number | null }>;
      inference: { ttft_p95_ms: number | null; tokens_per_s: number | null; active_generations: number | null; queue_depth: number | null };
      chat: { active_streams: number | null };
      history: Array<Record<string, unknown>>;
    };
    const view = await eventually('two scrapes', async () => {
      const body = (await (await fetch(`${web.url}/ops/api/metrics`)).json()) as View;
      return body.history.length >= 2 ? body : undefined;
    });
    const chatFigures = view.services['chat-api']!;
    assert.equal(chatFigures.up, true);
    // 10 requests per scrape, 2 of them 5xx; the 1000 /metrics requests are not counted.
    assert.equal(chatFigures.error_rate, 0.2);
    assert.ok(chatFigures.request_rate !== null && chatFigures.request_rate > 0 && chatFigures.request_rate < 1000 / view.window_s);
    // Every new observation in the (50 ms, 100 ms] bucket: p95 interpolates to 97.5 ms.
    assert.equal(chatFigures.p95_ms, 97.5);
    assert.equal(view.services.auth?.up, false);
    assert.equal(view.services.web?.up, true);
    assert.equal(view.inference.ttft_p95_ms, 39);
    assert.ok(view.inference.tokens_per_s !== null && view.inference.tokens_per_s > 0);
    assert.equal(view.inference.active_generations, 2);
    assert.equal(view.inference.queue_depth, 1);
    assert.equal(view.chat.active_streams, 3);
    const point = view.history.at(-1)!;
    assert.equal(point['chat-api.error_rate'], 0.2);
    assert.equal(point['chat-api.p95_ms'], 97.5);
    assert.equal(point['auth.up'], false);
    assert.equal(point['inference.active_generations'], 2);
    assert.equal(point['chat.active_streams'], 3);
    assert.equal(typeof point.at, 'string');
    // A service going down is logged once, not on every scrape.
    await eventually('a third scrape (auth still down)', async () => {
      const body = (await (await fetch(`${web.url}/ops/api/metrics`)).json()) as View;
      return body.history.length >= 3 ? true : undefined;
    });
    assert.equal(web.logs.find('ops_scrape_failed').filter((l) => l.upstream === 'auth').length, 1);
  });

  it('says so when scraping is off', async () => {
    const off = await startWeb({ METRICS_SCRAPE_INTERVAL_MS: '0' });
    try {
      const body = (await (await fetch(`${off.url}/ops/api/metrics`)).json()) as { at: null; history: unknown[]; note: string; services: Record<string, { up: boolean }> };
      assert.equal(body.at, null);
      assert.deepEqual(body.history, []);
      assert.match(body.note, /METRICS_SCRAPE_INTERVAL_MS=0/);
      assert.equal(body.services.web?.up, false);
    } finally {
      await off.close();
    }
  });
});

describe('/ops/api/doctor', { timeout: scaled(60_000) }, () => {
  const result = (name: string, status: CheckResult['status']): CheckResult => ({
    name,
    status,
    ok: status === 'skipped' ? null : status === 'passed',
    detail: status === 'failed' ? 'broken' : 'fine',
    fix: status === 'failed' ? 'do this' : null,
    duration_ms: 3,
    skipped: status === 'skipped',
  });

  it('returns every check with its verdict, detail and fix; a skipped check is not ok', async () => {
    const web = await startWeb({}, { doctor: async () => [result('configuration', 'passed'), result('services-ready', 'failed'), result('prometheus-targets', 'skipped')] });
    try {
      const body = (await (await fetch(`${web.url}/ops/api/doctor`)).json()) as { results: Array<{ name: string; status: string; ok: boolean | null; fix: string | null }> };
      assert.deepEqual(body.results.map((r) => [r.name, r.status, r.ok, r.fix]), [
        ['configuration', 'passed', true, null],
        ['services-ready', 'failed', false, 'do this'],
        ['prometheus-targets', 'skipped', null, null],
      ]);
    } finally {
      await web.close();
    }
  });

  it('answers 500 naming the problem when the doctor throws or does not finish', async () => {
    const throwing = await startWeb({}, { doctor: async () => Promise.reject(new Error('registry exploded')) });
    const hanging = await startWeb({ WEB_DOCTOR_TIMEOUT_MS: '500' }, { doctor: () => new Promise(() => {}) });
    try {
      const a = await fetch(`${throwing.url}/ops/api/doctor`);
      assert.equal(a.status, 500);
      assert.match(((await a.json()) as { error: { message: string } }).error.message, /the doctor could not run: registry exploded/);
      const b = await fetch(`${hanging.url}/ops/api/doctor`);
      assert.equal(b.status, 500);
      assert.match(((await b.json()) as { error: { message: string } }).error.message, /did not finish within 1000 ms/);
    } finally {
      await throwing.close();
      await hanging.close();
    }
  });

  it('runs the platform doctor in-process with the web environment', async () => {
    const data = mkdtempSync(join(tmpdir(), 'web-doctor-'));
    const nowhere = 'http://127.0.0.1:9';
    // A database server that is not there fails fast (an embedded PGlite would take seconds to create).
    const env = { DATA_DIR: data, DATABASE_URL: 'postgres://samosachaat@127.0.0.1:9/none', AUTH_URL: nowhere, CHAT_API_URL: nowhere, INFERENCE_URL: nowhere, WEB_URL: nowhere, INTERNAL_API_KEY: newInternalKey(), PATH: process.env.PATH };
    const web = await startWeb({ WEB_DOCTOR_TIMEOUT_MS: '20000' }, { env });
    try {
      const res = await fetch(`${web.url}/ops/api/doctor`);
      assert.equal(res.status, 200);
      const body = (await res.json()) as { results: Array<{ name: string; ok: boolean; detail: string; fix: string | null; duration_ms: number }> };
      const ready = body.results.find((r) => r.name === 'services-ready');
      assert.equal(ready?.ok, false);
      assert.match(ready?.detail ?? '', /web at http:\/\/127\.0\.0\.1:9 is not reachable/);
      assert.match(ready?.fix ?? '', /npm start/);
      assert.equal(body.results.find((r) => r.name === 'configuration')?.ok, true);
      const database = body.results.find((r) => r.name === 'database');
      assert.equal(database?.ok, false);
      // RESET as well: ports-free binds port 9 for a moment while this check connects to it.
      assert.match(database?.detail ?? '', /^DATABASE_URL: cannot connect to postgres:\/\/127\.0\.0\.1:9\/none \(ECONN(REFUSED|RESET)\): start that PostgreSQL server/);
      // web has no LOG_DIR here: it writes no files, so the check does not apply (and is not ok).
      const logDir = body.results.find((r) => r.name === 'log-dir-writable') as { ok: boolean | null; status?: string } | undefined;
      assert.deepEqual([logDir?.status, logDir?.ok], ['skipped', null]);
    } finally {
      await web.close();
      rmSync(data, { recursive: true, force: true });
    }
  });
});

describe('console access outside local mode', { timeout: scaled(60_000) }, () => {
  let auth: Upstream;
  let web: WebHarness;
  let meCalls = 0;
  let authDown = false;
  before(async () => {
    auth = await startUpstream((app) => {
      app.get('/auth/me', async (request, reply) => {
        meCalls++;
        if (authDown) return reply.code(500).send({ error: { code: 'BOOM', message: 'boom' } });
        const token = request.headers.authorization?.replace(/^Bearer /, '');
        if (token === 'admin.token') return { id: '1', email: 'a@example.test', is_admin: true };
        if (token === 'user.token') return { id: '2', email: 'u@example.test', is_admin: false };
        return reply.code(401).send({ error: { code: 'AUTH_INVALID_TOKEN', message: 'invalid' } });
      });
    });
    web = await startWeb({ SAMOSACHAAT_LOCAL: 'false', AUTH_URL: auth.url }, { doctor: async () => [] });
  });
  after(async () => {
    await web?.close();
    await auth?.close();
  });

  const call = async (token?: string) => {
    const res = await fetch(`${web.url}/ops/api/doctor`, { headers: token ? { authorization: `Bearer ${token}` } : {} });
    const body = (await res.json()) as { error?: { code: string } };
    return { status: res.status, code: body.error?.code };
  };

  it('lets administrators in, and refuses everyone else with 401 or 403', async () => {
    assert.deepEqual(await call(), { status: 401, code: 'WEB_OPS_UNAUTHENTICATED' });
    assert.deepEqual(await call('nonsense.token'), { status: 401, code: 'WEB_OPS_INVALID_TOKEN' });
    assert.deepEqual(await call('user.token'), { status: 403, code: 'WEB_OPS_FORBIDDEN' });
    assert.deepEqual(await call('admin.token'), { status: 200, code: undefined });
  });

  it("caches auth's verdict briefly, and answers 503 when auth cannot say", async () => {
    const before = meCalls;
    assert.equal((await call('admin.token')).status, 200);
    assert.equal((await call('user.token')).status, 403);
    assert.equal(meCalls, before);
    authDown = true;
    assert.deepEqual(await call('new.token'), { status: 503, code: 'WEB_AUTH_UNAVAILABLE' });
    authDown = false;
  });

  it('keeps the pages public: the console page itself holds no data', async () => {
    assert.equal((await fetch(`${web.url}/ops`)).status, 200);
  });
});
