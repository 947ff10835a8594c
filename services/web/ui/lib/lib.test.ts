/**
 * The browser modules that need no DOM, run in Node: SSE parsing across arbitrary chunk
 * boundaries, trace ids, and how API failures become messages a person can read.
 */
import assert from 'node:assert/strict';
import { afterEach, describe, it } from 'node:test';
import { ApiError, apiFetch, errorFrom } from './api.js';
import { conversationApiPath, conversationIdFromPath, conversationPagePath, isConversationId, stopAnswerApiPath } from './ids.js';
import { readAnswerStream, SseParser, toAnswerEvent, type AnswerEvent } from './sse.js';
import { isTraceId, newTraceId, traceHref } from './trace.js';
import { storedNote } from '../chat/reasons.js';

const enc = new TextEncoder();

describe('SseParser', () => {
  it('yields each event once complete, whatever the chunking', () => {
    const text = 'data: {"token":"Hel"}\n\ndata: {"token":"lo"}\r\n\r\n: comment\n\ndata: {"done":true}\n\n';
    for (const size of [1, 2, 3, 7, 50]) {
      const p = new SseParser();
      const out: string[] = [];
      const bytes = enc.encode(text);
      for (let i = 0; i < bytes.length; i += size) out.push(...p.push(bytes.slice(i, i + size)));
      out.push(...p.end());
      assert.deepEqual(out, ['{"token":"Hel"}', '{"token":"lo"}', '{"done":true}'], `chunk size ${size}`);
    }
  });

  it('keeps a multi-byte character split across chunks intact and joins multi-line data', () => {
    const bytes = enc.encode('data: {"token":"समोसा"}\n\ndata: a\ndata: b\n\ndata: tail');
    const p = new SseParser();
    const out = [...p.push(bytes.slice(0, 17)), ...p.push(bytes.slice(17)), ...p.end()];
    assert.deepEqual(out, ['{"token":"समोसा"}', 'a\nb', 'tail']);
  });

  it('keeps one event whole when a CRLF line ending is split between two chunks', () => {
    // A CR at the end of one chunk and its LF at the start of the next are one line ending,
    // not two: the event's two data lines must not become two events.
    const p = new SseParser();
    const out = [...p.push(enc.encode('data: a\r')), ...p.push(enc.encode('\ndata: b\r\n\r\n')), ...p.end()];
    assert.deepEqual(out, ['a\nb']);
  });

  it('interprets token, error (string or envelope), done and anything else', () => {
    assert.deepEqual(toAnswerEvent('{"token":" x"}'), { kind: 'token', token: ' x' });
    assert.deepEqual(toAnswerEvent('{"error":"upstream dropped"}'), { kind: 'error', message: 'upstream dropped' });
    assert.deepEqual(toAnswerEvent('{"error":{"code":"X","message":"boom"}}'), { kind: 'error', message: 'boom' });
    assert.deepEqual(toAnswerEvent('{"error":{}}'), { kind: 'error', message: 'the answer failed' });
    assert.deepEqual(toAnswerEvent('{"done":true}'), { kind: 'done' });
    assert.deepEqual(toAnswerEvent('{"done":true,"message_id":"m1"}'), { kind: 'done' });
    assert.deepEqual(toAnswerEvent('{"done":true,"message_id":"m1","stopped":true}'), { kind: 'done', stopped: true });
    assert.deepEqual(toAnswerEvent('not json'), { kind: 'other', data: 'not json' });
    assert.deepEqual(toAnswerEvent('{"usage":1}'), { kind: 'other', data: { usage: 1 } });
  });

  it('reads a whole response body as events in order', async () => {
    const body = new ReadableStream<Uint8Array>({
      start(c) {
        c.enqueue(enc.encode('data: {"token":"a"}\n\nda'));
        c.enqueue(enc.encode('ta: {"token":"b"}\n\ndata: {"done":true}\n\n'));
        c.close();
      },
    });
    const events: AnswerEvent[] = [];
    await readAnswerStream(body, (e) => events.push(e));
    assert.deepEqual(events, [{ kind: 'token', token: 'a' }, { kind: 'token', token: 'b' }, { kind: 'done' }]);
  });
});

describe('trace ids', () => {
  it('are 32 lowercase hex digits, different each time, and link to the console', () => {
    const a = newTraceId();
    assert.match(a, /^[0-9a-f]{32}$/);
    assert.notEqual(a, newTraceId());
    assert.ok(isTraceId(a));
    assert.ok(!isTraceId('0'.repeat(32)));
    assert.ok(!isTraceId(a.toUpperCase()));
    assert.equal(traceHref(a), `/ops#/traces/${a}`);
  });
});

describe('API errors', () => {
  const realFetch = globalThis.fetch;
  afterEach(() => {
    globalThis.fetch = realFetch;
  });

  const envelope = (status: number, code: string, message: string, headers: Record<string, string> = {}) =>
    new Response(JSON.stringify({ error: { code, message, trace_id: 'x' } }), { status, headers: { 'content-type': 'application/json', ...headers } });

  it('says what happened and when to retry', async () => {
    const over = await errorFrom(envelope(503, 'CHAT_INFERENCE_OVER_CAPACITY', 'busy', { 'retry-after': '7' }), 't');
    assert.equal(over.retryAfterS, 7);
    assert.match(over.message, /over capacity.*saved.*7 s/);
    assert.match((await errorFrom(envelope(429, 'CHAT_TOO_MANY_STREAMS', 'x', { 'retry-after': '5' }), 't')).message, /Too many answers.*5 s/);
    assert.match((await errorFrom(envelope(503, 'CHAT_INFERENCE_UNAVAILABLE', 'down'), 't')).message, /Inference is unavailable.*down/);
    assert.match((await errorFrom(envelope(502, 'WEB_UPSTREAM_UNAVAILABLE', 'chat-api refused'), 't')).message, /unreachable: chat-api refused/);
    // A coded 502/504 from chat-api is its own reason, not "unreachable".
    const timeout = await errorFrom(envelope(504, 'CHAT_INFERENCE_TIMEOUT', 'inference did not start answering in time', { 'x-user-message-id': 'u1' }), 't');
    assert.equal(timeout.message, 'Inference did not start answering in time.');
    assert.equal(timeout.detail, 'inference did not start answering in time');
    assert.equal(timeout.userMessageId, 'u1');
    assert.match((await errorFrom(envelope(403, 'FORBIDDEN', 'admins only'), 't')).message, /Access denied: admins only/);
    const plain = await errorFrom(new Response('<html>', { status: 500 }), 'abc');
    assert.equal(plain.code, 'HTTP_500');
    assert.equal(plain.traceId, 'abc');
    assert.match(plain.message, /HTTP 500/);
  });

  it('refreshes the token once on 401, then reports the session as expired', async () => {
    const seen: Array<{ auth: string | null; trace: string | null }> = [];
    let answer = 401;
    globalThis.fetch = (async (_url: string, init: RequestInit) => {
      const h = new Headers(init.headers);
      seen.push({ auth: h.get('authorization'), trace: h.get('x-trace-id') });
      return new Response('{}', { status: answer });
    }) as typeof fetch;
    let token = 'old';
    let refreshes = 0;
    const auth = { token: () => token, refresh: async () => ((refreshes += 1), (token = 'new'), true) };
    const err = await apiFetch('/api/x', { traceId: 'a'.repeat(32) }, auth).catch((e: unknown) => e);
    assert.ok(err instanceof ApiError);
    assert.equal(err.code, 'SESSION_EXPIRED');
    assert.equal(refreshes, 1);
    assert.deepEqual(seen, [{ auth: 'Bearer old', trace: 'a'.repeat(32) }, { auth: 'Bearer new', trace: 'a'.repeat(32) }]);
    answer = 200;
    const ok = await apiFetch('/api/x', {}, auth);
    assert.equal(ok.res.status, 200);
    assert.match(ok.traceId, /^[0-9a-f]{32}$/);
  });
});

describe('conversation ids in URLs', () => {
  const ID = '5e1f6a3e-8a44-4f5b-9d5e-2b7f3f0c9a11';

  it('reads a conversation id from /c/<uuid> only; anything else under /c/ is invalid, never a path', () => {
    assert.equal(conversationIdFromPath(`/c/${ID}`), ID);
    assert.equal(conversationIdFromPath(`/c/${ID.toUpperCase()}`), ID);
    assert.equal(conversationIdFromPath('/'), null);
    assert.equal(conversationIdFromPath('/login'), null);
    // The link from the security review: it decoded to x/../../auth/logout#.
    assert.equal(conversationIdFromPath('/c/x%2F..%2F..%2Fauth%2Flogout%23'), 'invalid');
    assert.equal(conversationIdFromPath(`/c/${ID}%3Fx%3D1`), 'invalid');
    assert.equal(conversationIdFromPath('/c/%E0%A4%A'), 'invalid', 'a broken escape');
    assert.equal(conversationIdFromPath(`/c/${ID}/extra`), 'invalid');
  });

  it('builds API paths from UUIDs only, encoded, and refuses the rest before any request', () => {
    assert.equal(conversationApiPath(ID), `/api/conversations/${ID}`);
    assert.equal(conversationApiPath(ID, '/messages'), `/api/conversations/${ID}/messages`);
    assert.equal(conversationApiPath(ID, '/regenerate'), `/api/conversations/${ID}/regenerate`);
    for (const bad of ['x/../../auth/logout#', '../../auth/logout', `${ID}?`, '', `${ID}/`]) {
      assert.throws(() => conversationApiPath(bad, '/messages'), /not a conversation id/, bad);
      assert.equal(isConversationId(bad), false, bad);
    }
    assert.equal(stopAnswerApiPath(ID, ID), `/api/conversations/${ID}/messages/${ID}/stop`);
    assert.throws(() => stopAnswerApiPath(ID, '../../auth/logout'), /not a message id/);
    // Whatever the API hands back is encoded in links, too.
    assert.equal(conversationPagePath('a/b?c#d'), '/c/a%2Fb%3Fc%23d');
  });
});

describe('storedNote', () => {
  it('says after a reload why an answer ended short, as chat-api stored it', () => {
    assert.equal(storedNote({ status: 'complete', failure_code: null, failure_message: null }), undefined);
    assert.equal(storedNote({ status: 'stopped', failure_code: 'stopped', failure_message: 'stopped by the user' }), 'Stopped. What was generated is saved.');
    assert.equal(
      storedNote({ status: 'incomplete', failure_code: 'interrupted', failure_message: 'the answer was interrupted: the chat-api instance streaming it stopped' }),
      'The answer was cut short: the answer was interrupted: the chat-api instance streaming it stopped',
    );
    assert.equal(storedNote({ status: 'error', failure_code: 'over_capacity', failure_message: 'inference is over capacity; retry in 20 s' }), 'The answer was cut short: inference is over capacity; retry in 20 s');
    assert.equal(storedNote({ status: 'error' }), 'The answer failed before any text arrived.');
  });
});
