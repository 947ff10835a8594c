import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { context, trace, TraceFlags } from '@opentelemetry/api';
import { LogCapture } from '../../test/support/log-capture.js';
import { bindContext, runWithContext } from '../context/request-context.js';
import { createLogger, timestampField } from './logger.js';

const TRACE = '0af7651916cd43dd8448eb211c80319c';
const SPAN = 'b7ad6b7169203331';

function withSpan<T>(fn: () => T): T {
  const span = trace.wrapSpanContext({ traceId: TRACE, spanId: SPAN, traceFlags: TraceFlags.SAMPLED });
  return context.with(trace.setSpan(context.active(), span), fn);
}

describe('contract logger', () => {
  it('writes every required field in the contract shape at every level', () => {
    const logs = new LogCapture();
    const { logger } = createLogger({ service: 'auth', level: 'debug', destination: logs, environment: 'test', version: '1.2.3' });
    logger.debug('cache_warmed');
    logger.info({ user_count: 3 }, 'users_loaded');
    logger.warning('slow_query');
    logger.error('upstream_failed');
    logger.critical('database_lost');
    const lines = logs.lines(); // validates each line against the JSON Schema
    assert.deepEqual(lines.map((l) => l.level), ['debug', 'info', 'warning', 'error', 'critical']);
    for (const line of lines) {
      assert.equal(line.service, 'auth');
      assert.equal(line.logger, 'main');
      assert.equal(line.environment, 'test');
      assert.equal(line.version, '1.2.3');
      assert.match(String(line.timestamp), /^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d\.\d{3}Z$/);
    }
    assert.equal(lines[1]?.user_count, 3);
  });

  it('drops lines below LOG_LEVEL', () => {
    const logs = new LogCapture();
    const { logger } = createLogger({ service: 'auth', level: 'warning', destination: logs });
    logger.info('not_shown');
    logger.warning('shown');
    assert.deepEqual(logs.lines().map((l) => l.message), ['shown']);
    assert.equal(logger.isLevelEnabled('info'), false);
  });

  it('injects trace_id, span_id and bound fields from the active context', async () => {
    const logs = new LogCapture();
    const { logger } = createLogger({ service: 'chat-api', destination: logs });
    await withSpan(() =>
      runWithContext({ conversation_id: 'c-1' }, async () => {
        bindContext({ user_id: 'u-42' });
        await new Promise((r) => setTimeout(r, 1));
        logger.info('message_persisted');
      }),
    );
    logger.info('outside');
    const [inside, outside] = logs.lines();
    assert.equal(inside?.trace_id, TRACE);
    assert.equal(inside?.span_id, SPAN);
    assert.equal(inside?.user_id, 'u-42');
    assert.equal(inside?.conversation_id, 'c-1');
    assert.equal(outside?.trace_id, undefined);
    assert.equal(outside?.user_id, undefined);
  });

  it('gives each module its own logger name without duplicating the key', () => {
    const logs = new LogCapture();
    const handle = createLogger({ service: 'inference', destination: logs });
    handle.getLogger('engine').info('model_loaded');
    handle.getLogger('engine').child({ model_tag: 'demo' }).info('model_swapped');
    const raw = logs.text().split('\n').filter(Boolean);
    for (const line of raw) assert.equal(line.match(/"logger":/g)?.length, 1, line);
    assert.deepEqual(logs.lines().map((l) => [l.logger, l.model_tag]), [['engine', undefined], ['engine', 'demo']]);
  });

  it('turns an Error into error, error_type and stack', () => {
    const logs = new LogCapture();
    const { logger } = createLogger({ service: 'auth', destination: logs });
    const err = Object.assign(new TypeError('bad thing'), { code: 'E_BAD' });
    logger.error({ err }, 'request_failed');
    const [line] = logs.lines();
    assert.equal(line?.error, 'bad thing');
    assert.equal(line?.error_type, 'TypeError');
    assert.equal(line?.error_code, 'E_BAD');
    assert.match(String(line?.stack), /TypeError: bad thing/);
    assert.equal(line?.err, undefined);
  });

  it('redacts by key and by value shape, including in the message and error text', () => {
    const logs = new LogCapture();
    const { logger } = createLogger({ service: 'auth', destination: logs });
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJlLXRlc3Q';
    logger.info({ password: 'canary-pass-1', headers: { authorization: 'Bearer canary-bearer-1', cookie: 'sid=canary-cookie' }, content: 'canary message text' }, 'login_attempted');
    logger.error({ err: new Error(`token rejected: ${jwt}`) }, 'token_invalid');
    logger.info({ url: '/cb?code=1&api_key=canary-key-2' }, 'callback_received');
    const text = logs.text();
    for (const canary of ['canary-pass-1', 'canary-bearer-1', 'canary-cookie', 'canary message text', jwt, 'canary-key-2']) {
      assert.equal(text.includes(canary), false, `${canary} leaked: ${text}`);
    }
    const [first, second] = logs.lines();
    assert.equal(first?.content, '[REDACTED len=19]');
    assert.equal(second?.error, 'token rejected: [REDACTED]');
  });

  it('prints a human format only when asked', () => {
    const logs = new LogCapture();
    const { logger } = createLogger({ service: 'web', format: 'pretty', destination: logs });
    logger.info({ route: '/x' }, 'page_served');
    const out = logs.text();
    assert.match(out, /INFO.*page_served/);
    assert.match(out, /route: "\/x"/);
    assert.throws(() => JSON.parse(out.trim()));
  });

  it('also writes to a daily file under LOG_DIR, as the same contract lines', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'logdir-'));
    try {
      const logs = new LogCapture();
      const at = Date.parse('2026-05-01T12:00:00.000Z');
      const handle = createLogger({ service: 'auth', destination: logs, logDir: dir, now: () => at });
      handle.logger.info({ n: 1 }, 'file_line');
      await handle.close();
      assert.deepEqual(readdirSync(dir), ['auth-2026-05-01.log']);
      const fileLines = readFileSync(join(dir, 'auth-2026-05-01.log'), 'utf8').trim().split('\n');
      assert.equal(fileLines.length, 1);
      assert.equal(JSON.parse(fileLines[0] as string).message, 'file_line');
      assert.equal(logs.lines().length, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  it('formats timestamps exactly like toISOString, across millisecond and second boundaries', () => {
    const base = Date.parse('2026-12-31T23:59:58.000Z');
    for (const offset of [0, 1, 9, 10, 99, 100, 999, 1000, 1001, 1999, 2000, 2007, 86_400_000 + 42]) {
      const t = base + offset;
      assert.equal(timestampField(t), `,"timestamp":"${new Date(t).toISOString()}"`);
    }
    // The same millisecond twice, then back to an earlier one: each answer is its own.
    for (const t of [base + 5, base + 5, base + 6, base + 5, base - 1000, base - 1000]) {
      assert.equal(timestampField(t), `,"timestamp":"${new Date(t).toISOString()}"`);
    }
  });

  it('writes hand-encoded lines identical to pino\'s, with bound fields redacted and never repeated', () => {
    const logs = new LogCapture();
    const handle = createLogger({ service: 'chat-api', destination: logs, environment: 'test', version: '9.9.9' });
    const write = handle.lineWriter('http', ['method', 'status_code']);
    const jwt = 'eyJhbGciOiJSUzI1NiJ9.eyJzdWIiOiJ1LTEifQ.c2lnbmF0dXJl';
    withSpan(() =>
      runWithContext({ user_id: 'u-1', referer: `https://x.test/?a=${jwt}`, session_token: 'hunter2' }, () => {
        handle.getLogger('http').info({ method: 'GET', status_code: 200 }, 'request_done');
        write('info', context.active(), ',"method":"GET","status_code":200', 'request_done');
        // A bound field named like one of the writer's own keys is left out, not repeated.
        bindContext({ method: 'bound-collides' });
        write('info', context.active(), ',"method":"GET","status_code":200', 'request_done');
      }),
    );
    const [viaPino, viaWriter, collided] = logs.lines(); // each validated against the contract schema
    assert.notEqual(viaPino?.timestamp, undefined);
    assert.notEqual(viaWriter?.timestamp, undefined);
    delete viaPino?.timestamp;
    delete viaWriter?.timestamp;
    assert.deepEqual(Object.keys(viaWriter!), Object.keys(viaPino!));
    assert.deepEqual(viaWriter, viaPino);
    assert.equal(viaWriter?.trace_id, TRACE);
    assert.equal(viaWriter?.span_id, SPAN);
    assert.equal(viaWriter?.user_id, 'u-1');
    assert.equal(viaWriter?.session_token, '[REDACTED]');
    assert.equal(viaWriter?.referer, 'https://x.test/?a=[REDACTED]');
    assert.equal(collided?.method, 'GET');
    assert.equal((logs.raw[2]?.match(/"method"/g) ?? []).length, 1);
    assert.ok(!logs.raw.join('').includes(jwt) && !logs.raw.join('').includes('hunter2'));
  });

  it('writes the message of a line writer the same on every line, however many messages it sees', () => {
    const logs = new LogCapture();
    const handle = createLogger({ service: 'chat-api', destination: logs });
    const write = handle.lineWriter('http', []);
    // More distinct messages than the writer caches, and repeats on both sides of that limit.
    const messages = ['request_done', ...Array.from({ length: 100 }, (_, i) => `event_${i}`), 'request_done', 'event_7', 'event_99'];
    for (const message of messages) write('info', context.active(), '', message);
    assert.deepEqual(
      logs.lines().map((l) => l.message),
      messages,
    );
  });
});
