import assert from 'node:assert/strict';
import { generateKeyPairSync, randomBytes, createSign } from 'node:crypto';
import { describe, it } from 'node:test';
import { AppError } from '../src/index.js';
import { buildTestApp } from './support/app.js';
import { contractErrors } from '../../observability/test/support/log-capture.js';
import { eventually, listen, rawRequest } from './support/http.js';

// A real RS256 JWT, signed with a key generated now: nothing secret lives in the repo.
function makeJwt(): string {
  const { privateKey } = generateKeyPairSync('rsa', { modulusLength: 2048 });
  const enc = (o: object) => Buffer.from(JSON.stringify(o)).toString('base64url');
  const body = `${enc({ alg: 'RS256', typ: 'JWT' })}.${enc({ sub: 'u-1', iss: 'samosachaat-auth', exp: 4102444800 })}`;
  return `${body}.${createSign('RSA-SHA256').update(body).sign(privateKey).toString('base64url')}`;
}

describe('canary secrets through real requests', () => {
  it('never show up in logs, answers, traces or metrics', async () => {
    const jwt = makeJwt();
    const apiKey = `sk-${randomBytes(16).toString('hex')}`;
    const password = `pw-${randomBytes(8).toString('hex')}`;
    const refresh = `rt-${randomBytes(12).toString('hex')}`;
    const text = `my secret plan ${randomBytes(6).toString('hex')}`;
    const canaries = [jwt, apiKey, password, refresh, text];

    const t = await buildTestApp((app) => {
      app.post<{ Body: Record<string, string> }>('/api/conversations/:id/messages', async (request) => {
        const log = app.obs.getLogger('careless');
        // The mistakes a tired developer makes: logging headers, bodies and upstream errors.
        log.info({ headers: request.headers, body: request.body }, 'message_received');
        log.warning({ password: request.body.password, content: request.body.content }, 'login_debug');
        log.info({ note: `forwarding with Authorization: ${String(request.headers.authorization)}`, url: `/cb?api_key=${apiKey}` }, 'upstream_called');
        log.error({ err: new Error(`upstream rejected token ${jwt}`) }, 'upstream_failed');
        throw new AppError('CHAT_UPSTREAM_FAILED', 'upstream failed', 502);
      });
    });
    const base = await listen(t.app);
    const res = await fetch(`${base}/api/conversations/7/messages?refresh_token=${refresh}`, {
      method: 'POST',
      headers: {
        authorization: `Bearer ${jwt}`,
        cookie: `refresh_token=${refresh}; theme=dark`,
        'x-api-key': apiKey,
        'x-internal-api-key': apiKey,
        'content-type': 'application/json',
      },
      body: JSON.stringify({ password, content: text, api_key: apiKey }),
    });
    const answer = await res.text();
    assert.equal(res.status, 502);
    await eventually(() => t.logs.find('http_request_completed').length === 1);
    const traces = (await t.app.inject({ url: '/debug/traces' })).body;
    const metrics = (await t.app.inject({ url: '/metrics' })).body;
    const logText = t.logs.text();
    assert.ok(t.logs.lines().length >= 5);
    for (const canary of canaries) {
      for (const [where, output] of [['logs', logText], ['answer', answer], ['traces', traces], ['metrics', metrics]] as const) {
        assert.equal(output.includes(canary), false, `canary ${canary.slice(0, 12)}… leaked into ${where}`);
      }
    }
    const received = t.logs.find('message_received')[0] as { body: Record<string, string>; headers: Record<string, string> };
    assert.equal(received.body.content, `[REDACTED len=${text.length}]`);
    assert.equal(received.headers.authorization, '[REDACTED]');
    assert.equal(received.headers['content-type'], 'application/json', 'harmless fields stay');
    await t.close();
  });
});

describe('hostile headers', () => {
  const hostile: Array<[string, Record<string, string>]> = [
    ['CRLF', { 'user-agent': 'curl\r\n{"level":"critical","message":"forged","trace_id":"ffffffffffffffffffffffffffffffff"}\r\n', 'x-trace-id': 'abc\r\nlevel: critical' }],
    ['JSON fragments', { 'user-agent': '","level":"critical","service":"auth","x":"', 'x-request-id': '"},{"message":"forged' }],
    ['10 KB of junk', { 'user-agent': 'Z'.repeat(10_240), 'x-trace-id': 'Q'.repeat(10_240), traceparent: `00-${'a'.repeat(10_000)}` }],
    ['non-hex trace ids', { 'x-trace-id': 'g'.repeat(32), 'x-request-id': 'not-a-uuid-at-all-but-36-chars-long', traceparent: `00-${'x'.repeat(32)}-${'1'.repeat(16)}-01` }],
  ];

  for (const [name, headers] of hostile) {
    it(`${name}: cannot add or change a field of any log line`, async () => {
      const t = await buildTestApp((app) => {
        app.get('/x', async () => ({ ok: true }));
      });
      const res = await t.app.inject({ url: '/x', headers });
      assert.equal(res.statusCode, 200);
      const raw = t.logs.text().split('\n').filter(Boolean);
      assert.equal(raw.length, 1, 'exactly one line, no forged ones');
      const line = JSON.parse(raw[0] as string) as Record<string, unknown>;
      assert.equal(contractErrors(line), null);
      assert.deepEqual(Object.keys(line).sort(), ['duration_ms', 'level', 'logger', 'message', 'method', 'path', 'remote_addr', 'route', 'service', 'span_id', 'status_code', 'timestamp', 'trace_id', 'user_agent'].sort());
      assert.equal(line.level, 'info');
      assert.equal(line.message, 'http_request_completed');
      assert.equal(line.service, 'test-svc');
      assert.match(String(line.trace_id), /^[0-9a-f]{32}$/);
      assert.equal(line.trace_id, res.headers['x-trace-id']);
      assert.notEqual(line.trace_id, 'f'.repeat(32));
      assert.ok(String(line.user_agent).length <= 300);
      assert.equal(/[\r\n]/.test(String(line.user_agent)), false);
      await t.close();
    });
  }

  it('over a real socket: raw JSON and 10 KB junk headers change nothing', async () => {
    const t = await buildTestApp((app) => {
      app.get('/x', async () => ({ ok: true }));
    });
    const base = await listen(t.app);
    const request = [
      'GET /x?q=1 HTTP/1.1',
      'Host: 127.0.0.1',
      'User-Agent: ","level":"critical","trace_id":"ffffffffffffffffffffffffffffffff',
      `X-Trace-Id: ${'J'.repeat(10_000)}`,
      'X-Request-Id: {"message":"forged"}',
      'Connection: close',
      '',
      '',
    ].join('\r\n');
    const answer = await rawRequest(base, request);
    assert.match(answer, /^HTTP\/1\.1 200/);
    const line = await eventually(() => t.logs.find('http_request_completed')[0]);
    assert.equal(t.logs.lines().length, 1);
    assert.equal(line.level, 'info');
    assert.match(String(line.trace_id), /^[0-9a-f]{32}$/);
    assert.notEqual(line.trace_id, 'f'.repeat(32));
    assert.equal(line.user_agent, '","level":"critical","trace_id":"ffffffffffffffffffffffffffffffff');
    assert.equal(answer.includes('JJJJ'), false, 'the junk id is never echoed');
    await t.close();
  });
});

describe('redaction happens before truncation', () => {
  it('keeps a JWT in a long User-Agent or path out of the access line, whatever the cut', async () => {
    const jwt = makeJwt();
    const [, payload = ''] = jwt.split('.');
    const t = await buildTestApp((app) => {
      app.get('/p/*', async () => ({ ok: true }));
    });
    for (const pad of [0, 120, 200, 240]) {
      await t.app.inject({ url: `/p/${'d'.repeat(pad)}${jwt}`, headers: { 'user-agent': `${'u'.repeat(pad)}${jwt}` } });
    }
    const lines = t.logs.find('http_request_completed');
    assert.equal(lines.length, 4);
    for (const line of lines) {
      const text = JSON.stringify(line);
      assert.ok(!text.includes(payload.slice(0, 16)), `a piece of the token's payload reached the log: ${text.slice(0, 300)}`);
      assert.match(String(line.user_agent), /\[REDACTED\]/);
    }
    await t.close();
  });
});
