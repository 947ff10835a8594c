/**
 * End to end, with real processes on loopback: `samosachaat start` (what `npm start` runs)
 * brings up the embedded database, inference, auth and chat-api; the tests then use the
 * platform the way a user and an operator would.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { createPostgresDatabase, postgresReachable } from '../../packages/db/test/support.js';
import { readSse, runCli, startPlatform, type Platform, type SseEvent } from '../support/platform.js';
import { scaled } from '../support/timeouts.js';

const json = { 'content-type': 'application/json' };

function bearer(token: string): Record<string, string> {
  return { authorization: `Bearer ${token}` };
}

async function devToken(p: Platform, email: string): Promise<string> {
  const res = await fetch(`${p.urls.auth}/auth/dev-login`, { method: 'POST', headers: json, body: JSON.stringify({ email }) });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { access_token: string }).access_token;
}

async function createConversation(p: Platform, token: string, title?: string): Promise<string> {
  const res = await fetch(`${p.urls.chat}/api/conversations`, { method: 'POST', headers: { ...json, ...bearer(token) }, body: JSON.stringify(title ? { title } : {}) });
  assert.equal(res.status, 201, await res.clone().text());
  return ((await res.json()) as { id: string }).id;
}

interface Message {
  role: string;
  content: string;
  token_count: number | null;
  inference_time_ms: number | null;
  status: string;
}

interface Conversation {
  id: string;
  title: string | null;
  messages: Message[];
}

async function getConversation(p: Platform, token: string, id: string): Promise<Conversation> {
  const res = await fetch(`${p.urls.chat}/api/conversations/${id}`, { headers: bearer(token) });
  assert.equal(res.status, 200, await res.clone().text());
  return (await res.json()) as Conversation;
}

function send(p: Platform, token: string, id: string, content: string, signal?: AbortSignal): Promise<Response> {
  return fetch(`${p.urls.chat}/api/conversations/${id}/messages`, { method: 'POST', headers: { ...json, ...bearer(token) }, body: JSON.stringify({ content }), signal });
}

function tokensOf(events: SseEvent[]): string {
  return events.flatMap((e) => (typeof e.data['token'] === 'string' ? [e.data['token']] : [])).join('');
}

/** Polls until `probe` resolves truthy (the answer is persisted after the stream ends). */
async function eventually<T>(probe: () => Promise<T | undefined | false>, what: string, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

/**
 * The same suite on the embedded database (what `npm start` uses) and on a PostgreSQL server
 * (DATABASE_URL; skipped loudly without one, failing under CI=true).
 */
const postgresMissing = (await postgresReachable()) ? undefined : 'no PostgreSQL server at TEST_POSTGRES_URL (default 127.0.0.1:5432): start one to run the PostgreSQL half';
if (postgresMissing && process.env['CI'] !== 'true') console.warn(`\n!!! SKIPPED: ${postgresMissing}\n`);

for (const backend of ['pglite', 'postgres'] as const) {
describe(`npm start: the whole platform (${backend === 'pglite' ? 'embedded PGlite' : 'PostgreSQL server via DATABASE_URL'})`, { timeout: scaled(300_000), skip: backend === 'postgres' && postgresMissing && process.env['CI'] !== 'true' ? postgresMissing : false }, () => {
  let p: Platform;
  let dropDatabase: (() => Promise<void>) | undefined;
  const env: Record<string, string> = { DEMO_TOKENS_PER_SECOND: '150', ADMIN_EMAILS: 'dev@samosachaat.local' };
  before(async () => {
    if (backend === 'postgres') {
      if (postgresMissing) throw new Error(`CI=true and ${postgresMissing}`);
      const fresh = await createPostgresDatabase();
      env['DATABASE_URL'] = fresh.url;
      dropDatabase = fresh.drop;
    }
    p = await startPlatform(env);
  });
  after(async () => {
    await p?.stop();
    await dropDatabase?.();
  });

  it('the printed token and conversation stream a reply that is then persisted with token_count, inference_time_ms and the title', async () => {
    const res = await send(p, p.token, p.conversationId, 'Tell me about samosas and chutney');
    assert.equal(res.status, 200);
    assert.match(res.headers.get('content-type') ?? '', /^text\/event-stream/);
    const events = await readSse(res);
    const tokens = events.filter((e) => 'token' in e.data);
    assert.ok(tokens.length >= 3, `expected several token events, got ${events.length} events`);
    // chat-api's own done, sent once the answer is stored: it names the stored message.
    assert.equal(events.at(-1)?.data.done, true);
    assert.match(String(events.at(-1)?.data.message_id), /^[0-9a-f-]{36}$/);
    assert.equal(events.filter((e) => 'error' in e.data).length, 0);
    // Tokens arrive incrementally, not in one burst at the end.
    assert.ok((tokens.at(-1)?.at ?? 0) - (tokens[0]?.at ?? 0) >= 10, 'tokens arrived in one burst');

    const conversation = await eventually(async () => {
      const c = await getConversation(p, p.token, p.conversationId);
      return c.messages.some((m) => m.role === 'assistant') ? c : undefined;
    }, 'the assistant message');
    const [user, assistant] = conversation.messages;
    assert.equal(user?.role, 'user');
    assert.equal(user?.content, 'Tell me about samosas and chutney');
    assert.equal(assistant?.content, tokensOf(events));
    assert.equal(assistant?.status, 'complete');
    assert.equal(assistant?.token_count, tokens.length);
    assert.ok((assistant?.inference_time_ms ?? -1) >= 0, 'inference_time_ms recorded');
  });

  it('the first message sets the title (first 80 characters) of a conversation without one', async () => {
    const id = await createConversation(p, p.token);
    const text = `${'Why is the sky blue? '.repeat(6)}`;
    await readSse(await send(p, p.token, id, text));
    const c = await getConversation(p, p.token, id);
    assert.equal(c.title, text.slice(0, 80));
  });

  it('one trace id follows a chat through chat-api, auth and inference: headers, ring buffers, log lines', async () => {
    const owner = await devToken(p, 'trace@example.com');
    const id = await createConversation(p, owner);
    // A token chat-api has not validated yet (a new iat, so a new token), so auth is asked inside the trace.
    await new Promise((r) => setTimeout(r, 1100));
    const fresh = await devToken(p, 'trace@example.com');
    assert.notEqual(fresh, owner);
    const traceId = 'aa5b3a0c3d8e4f5a9b1c2d3e4f5a6b7c';
    const res = await fetch(`${p.urls.chat}/api/conversations/${id}/messages`, {
      method: 'POST',
      headers: { ...json, ...bearer(fresh), 'x-trace-id': traceId },
      body: JSON.stringify({ content: 'trace me' }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-trace-id'), traceId);
    await readSse(res);
    for (const url of [p.urls.chat, p.urls.auth, p.urls.inference]) {
      const trace = await eventually(async () => {
        const r = await fetch(`${url}/debug/traces/${traceId}`);
        return r.status === 200 ? ((await r.json()) as { spans: Array<{ name: string }> }) : undefined;
      }, `the trace in ${url}'s ring buffer`);
      assert.ok(trace.spans.length >= 1);
    }
    const lines = await eventually(async () => {
      const found = p.logLines().filter((l) => l['trace_id'] === traceId);
      const services = new Set(found.map((l) => l['service']));
      return services.has('chat-api') && services.has('inference') && services.has('auth') ? found : undefined;
    }, 'log lines of the trace from chat-api, auth and inference');
    assert.ok(lines.every((l) => typeof l['timestamp'] === 'string' && typeof l['level'] === 'string'));
  });

  it("conversation lifecycle; another user's conversation is 404 on every verb; no token / bad token 401", async () => {
    const ids = [await createConversation(p, p.token, 'first'), await createConversation(p, p.token, 'second')];
    const list = await (await fetch(`${p.urls.chat}/api/conversations?limit=1`, { headers: bearer(p.token) })).json() as { conversations: Array<{ id: string }>; next_cursor: string | null };
    assert.equal(list.conversations.length, 1);
    assert.equal(list.conversations[0]?.id, ids[1], 'newest first');
    assert.ok(list.next_cursor);
    const page2 = await (await fetch(`${p.urls.chat}/api/conversations?limit=1&cursor=${encodeURIComponent(list.next_cursor!)}`, { headers: bearer(p.token) })).json() as { conversations: Array<{ id: string }> };
    assert.equal(page2.conversations[0]?.id, ids[0]);

    const renamed = await fetch(`${p.urls.chat}/api/conversations/${ids[0]}`, { method: 'PUT', headers: { ...json, ...bearer(p.token) }, body: JSON.stringify({ title: 'renamed' }) });
    assert.equal(renamed.status, 200);
    assert.equal((await getConversation(p, p.token, ids[0]!)).title, 'renamed');

    const other = await devToken(p, 'mallory@example.com');
    for (const [method, path, body] of [
      ['GET', '', undefined],
      ['PUT', '', { title: 'mine now' }],
      ['DELETE', '', undefined],
      ['POST', '/messages', { content: 'hi' }],
      ['POST', '/regenerate', {}],
    ] as const) {
      const r = await fetch(`${p.urls.chat}/api/conversations/${ids[0]}${path}`, { method, headers: body ? { ...json, ...bearer(other) } : bearer(other), body: body ? JSON.stringify(body) : undefined });
      assert.equal(r.status, 404, `${method} ${path} by another user`);
      assert.equal(((await r.json()) as { error: { code: string } }).error.code, 'CHAT_CONVERSATION_NOT_FOUND');
    }
    assert.equal((await fetch(`${p.urls.chat}/api/conversations`)).status, 401);
    assert.equal((await fetch(`${p.urls.chat}/api/conversations`, { headers: bearer('not-a-jwt') })).status, 401);

    const deleted = await fetch(`${p.urls.chat}/api/conversations/${ids[0]}`, { method: 'DELETE', headers: bearer(p.token) });
    assert.equal(deleted.status, 204);
    assert.equal((await fetch(`${p.urls.chat}/api/conversations/${ids[0]}`, { headers: bearer(p.token) })).status, 404);
  });

  it('a client that disconnects after the first tokens still gets its full answer persisted', async () => {
    const id = await createConversation(p, p.token);
    const controller = new AbortController();
    const res = await send(p, p.token, id, 'Tell me a long story about a samosa', controller.signal);
    const seen = await readSse(res, (events) => events.filter((e) => 'token' in e.data).length >= 2);
    controller.abort();
    assert.ok(seen.length >= 2);
    const assistant = await eventually(async () => {
      const c = await getConversation(p, p.token, id);
      // The answer is a 'streaming' row while it is generated; wait for its end.
      return c.messages.find((m) => m.role === 'assistant' && m.status !== 'streaming');
    }, 'the answer of the disconnected client', 60_000);
    assert.equal(assistant.status, 'complete');
    assert.ok(assistant.content.length > tokensOf(seen).length, 'the whole answer, not just what the client saw');
  });

  it('regenerate replaces the last answer', async () => {
    const id = await createConversation(p, p.token);
    await readSse(await send(p, p.token, id, 'first question'));
    const before = await eventually(async () => (await getConversation(p, p.token, id)).messages.find((m) => m.role === 'assistant'), 'first answer');
    const res = await fetch(`${p.urls.chat}/api/conversations/${id}/regenerate`, { method: 'POST', headers: { ...json, ...bearer(p.token) }, body: '{}' });
    assert.equal(res.status, 200);
    const events = await readSse(res);
    assert.equal(events.at(-1)?.data.done, true);
    assert.match(String(events.at(-1)?.data.message_id), /^[0-9a-f-]{36}$/);
    const after = await eventually(async () => {
      const c = await getConversation(p, p.token, id);
      const answers = c.messages.filter((m) => m.role === 'assistant');
      return answers.length === 1 && answers[0]!.content === tokensOf(events) ? c : undefined;
    }, 'the regenerated answer');
    assert.equal(after.messages.length, 2);
    assert.equal(after.messages[1]?.role, 'assistant');
    assert.ok(before);
  });

  it('models are proxied; swap is 403 for a non-admin and, for an admin, lets the in-flight generation finish', async () => {
    const models = (await (await fetch(`${p.urls.chat}/api/models`, { headers: bearer(p.token) })).json()) as { models: Array<{ id: string }>; current_model: string };
    assert.ok(models.models.length >= 2);
    const target = models.models.find((m) => m.id !== models.current_model)!.id;

    const nonAdmin = await devToken(p, 'user@example.com');
    const denied = await fetch(`${p.urls.chat}/api/models/swap`, { method: 'POST', headers: { ...json, ...bearer(nonAdmin) }, body: JSON.stringify({ model: target }) });
    assert.equal(denied.status, 403);

    const id = await createConversation(p, p.token);
    const inFlight = send(p, p.token, id, 'keep talking while the model changes').then((r) => readSse(r));
    await new Promise((r) => setTimeout(r, 150));
    const swap = await fetch(`${p.urls.chat}/api/models/swap`, { method: 'POST', headers: { ...json, ...bearer(p.token) }, body: JSON.stringify({ model: target }) });
    assert.equal(swap.status, 202, await swap.clone().text());
    assert.equal(((await swap.json()) as { current_model: string }).current_model, target);
    const events = await inFlight;
    assert.equal(events.at(-1)?.data.done, true);
    assert.match(String(events.at(-1)?.data.message_id), /^[0-9a-f-]{36}$/);
    assert.equal(events.filter((e) => 'error' in e.data).length, 0, 'the in-flight generation finished without error');
    const now = (await (await fetch(`${p.urls.chat}/api/models`, { headers: bearer(p.token) })).json()) as { current_model: string };
    assert.equal(now.current_model, target);
  });

  it('samosachaat doctor passes every platform check against the running platform, found with the *_PORT variables it was started with', async () => {
    const checks = ['configuration', 'jwt-keys', 'database', 'services-ready', 'model-loaded', 'answer', 'ports-free', 'log-dir-writable', 'metrics-valid', 'trace-error-rate'];
    const port = (url: string) => new URL(url).port;
    // What `npm start` was given, and nothing else: no *_URL, no LOG_DIR.
    const startedWith = {
      DATABASE_URL: env['DATABASE_URL'] ?? '',
      DATA_DIR: p.dataDir,
      AUTH_PORT: port(p.urls.auth),
      CHAT_API_PORT: port(p.urls.chat),
      INFERENCE_PORT: port(p.urls.inference),
      WEB_PORT: port(p.urls.web),
      LOG_DIR: '',
    };
    const { status, stdout, stderr } = await runCli(['doctor', '--json', ...checks], startedWith);
    const report = JSON.parse(stdout) as { ok: boolean; checks: Array<{ name: string; status: string; ok: boolean | null; detail: string; fix: string | null }> };
    assert.deepEqual(report.checks.filter((c) => c.status !== 'passed'), [], stderr);
    assert.equal(status, 0);
    assert.match(report.checks.find((c) => c.name === 'database')?.detail ?? '', /migrations applied, none pending/);
    assert.match(report.checks.find((c) => c.name === 'services-ready')?.detail ?? '', /auth: ready\nchat-api: ready\ninference: ready\nweb: ready/);
    assert.match(report.checks.find((c) => c.name === 'answer')?.detail ?? '', /^answered through chat-api and inference: first token after \d+ ms, [1-8] tokens in \d+ ms$/);
    assert.match(report.checks.find((c) => c.name === 'ports-free')?.detail ?? '', new RegExp(`port ${startedWith.AUTH_PORT} \\(auth\\): held by our own auth`));
    assert.equal(report.checks.find((c) => c.name === 'log-dir-writable')?.detail, `${p.dataDir}/logs is writable (DATA_DIR/logs, where \`npm start\` writes while LOG_DIR is unset)`);

    // traces finds the same services, and hides the doctor's own scrapes, probes and trace reads.
    const traces = await runCli(['traces', '--json', '--limit', '200'], startedWith);
    assert.equal(traces.status, 0, traces.stderr);
    const roots = (JSON.parse(traces.stdout) as { traces: Array<{ root_name: string }> }).traces.map((t) => t.root_name);
    // chat-api's requests, named by what they did.
    assert.ok(roots.some((r) => r === 'send message' || r === 'create conversation'), JSON.stringify(roots));
    assert.deepEqual(roots.filter((r) => /\/(metrics|health|ready|debug\/traces)|^db\.| health$/.test(r)), []);
    const all = await runCli(['traces', '--json', '--all', '--limit', '200'], startedWith);
    assert.ok((JSON.parse(all.stdout) as { traces: Array<{ root_name: string }> }).traces.some((t) => t.root_name === 'GET /metrics'));

    // logs reads DATA_DIR/logs, where `npm start` writes, for the last minutes.
    const logs = await runCli(['logs', '--json', '--since', '10m', '--tail', '5'], startedWith);
    assert.equal(logs.status, 0, logs.stderr);
    assert.equal(logs.stdout.trim().split('\n').length, 5);
  });

  it('inference killed mid-stream: the client gets error then done, the partial answer is persisted incomplete, the user message kept; auth down → 503', async () => {
    const id = await createConversation(p, p.token);
    const res = await send(p, p.token, id, 'a question whose answer will be cut short');
    let killed = false;
    const events = await readSse(res, (seen) => {
      if (!killed && seen.filter((e) => 'token' in e.data).length >= 2) {
        killed = true;
        process.kill(p.pids['inference']!, 'SIGKILL');
      }
      return false;
    });
    assert.ok(killed);
    const tail = events.slice(-2).map((e) => Object.keys(e.data)[0]);
    assert.deepEqual(tail, ['error', 'done']);
    const c = await eventually(async () => {
      const conv = await getConversation(p, p.token, id);
      return conv.messages.some((m) => m.role === 'assistant') ? conv : undefined;
    }, 'the partial answer');
    assert.equal(c.messages[0]?.role, 'user');
    assert.equal(c.messages[0]?.content, 'a question whose answer will be cut short');
    const partial = c.messages.find((m) => m.role === 'assistant')!;
    assert.equal(partial.status, 'incomplete');
    assert.equal(partial.content, tokensOf(events));
    await eventually(async () => /inference exited unexpectedly/.test(p.output()), 'the launcher to report the dead service');

    process.kill(p.pids['auth']!, 'SIGKILL');
    const fresh = await fetch(`${p.urls.chat}/api/conversations`, { headers: bearer(`${p.token.slice(0, -2)}xx`) });
    assert.equal(fresh.status, 503);
    assert.equal(((await fresh.json()) as { error: { code: string } }).error.code, 'CHAT_AUTH_UNAVAILABLE');
  });

  it('Ctrl-C stops what is left and reports that services had died (exit 1)', async () => {
    const code = await p.stop();
    assert.equal(code, 1);
    assert.match(p.output(), /samosachaat: stopped/);
    for (const pid of Object.values(p.pids)) assert.throws(() => process.kill(pid, 0), 'every service process is gone');
  });
});
}

describe('npm start: Ctrl-C', { timeout: scaled(180_000) }, () => {
  it('stops every service and the database gracefully and exits 0', async () => {
    const p = await startPlatform();
    const code = await p.stop();
    assert.equal(code, 0, p.output().slice(-2000));
    assert.match(p.output(), /samosachaat: stopping \(SIGINT\)/);
    assert.match(p.output(), /samosachaat: stopped/);
    for (const [name, pid] of Object.entries(p.pids)) assert.throws(() => process.kill(pid, 0), `${name} (pid ${pid}) is gone`);
    assert.deepEqual(Object.keys(p.pids).sort(), ['auth', 'chat-api', 'inference', 'web']);
  });
});
