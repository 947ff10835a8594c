/**
 * Crash-visible answers on the embedded database: `kill -9` of the whole platform (launcher,
 * embedded PGlite server, every service) while 20 answers stream, then `samosachaat start`
 * again on the same data folder. Every answer is in the database — complete, or an
 * `incomplete` partial with reason `interrupted` marked by the restarted chat-api — and the
 * user messages and conversations are intact. No answer is left `streaming`.
 */
import assert from 'node:assert/strict';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, it } from 'node:test';
import { startPlatform, type Platform } from '../support/platform.js';
import { scaled } from '../support/timeouts.js';

const STREAMS = 20;
const json = { 'content-type': 'application/json' };
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

interface Message {
  role: string;
  content: string;
  status: string;
  failure_code?: string | null;
}

async function messagesOf(p: Platform, token: string, id: string): Promise<Message[]> {
  const res = await fetch(`${p.urls.chat}/api/conversations/${id}`, { headers: { authorization: `Bearer ${token}` } });
  assert.equal(res.status, 200, await res.clone().text());
  return ((await res.json()) as { messages: Message[] }).messages;
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

describe('kill -9 of the platform during 20 streams (PGlite), then a restart on the same data folder', () => {
  let dataDir = '';
  const platforms: Platform[] = [];
  after(async () => {
    for (const p of platforms) await p.stop().catch(() => undefined);
    if (dataDir) await rm(dataDir, { recursive: true, force: true });
  });

  it('every answer is there afterwards: complete or an interrupted partial, nothing left streaming, user messages intact', async () => {
    dataDir = await mkdtemp(join(tmpdir(), 'samosachaat-crash-'));
    const env = { DATA_DIR: dataDir, MAX_STREAMS_PER_USER: String(STREAMS), WORKERS: String(STREAMS), QUEUE_LIMIT: '32', DEMO_TOKENS_PER_SECOND: '8', ANSWER_LEASE_MS: '1000', ANSWER_FLUSH_INTERVAL_MS: '200' };
    const first = await startPlatform(env);
    platforms.push(first);
    const auth = { ...json, authorization: `Bearer ${first.token}` };
    const ids: string[] = [];
    for (let i = 0; i < STREAMS; i++) {
      const res = await fetch(`${first.urls.chat}/api/conversations`, { method: 'POST', headers: auth, body: '{}' });
      ids.push(((await res.json()) as { id: string }).id);
    }
    const streams = ids.map(async (id, i) => {
      const res = await fetch(`${first.urls.chat}/api/conversations/${id}/messages`, { method: 'POST', headers: auth, body: JSON.stringify({ content: `question number ${i} about samosas` }) });
      assert.equal(res.status, 200);
      return res.text().catch(() => '');
    });
    // All 20 are streaming, each with text in the database already.
    await (async () => {
      const deadline = Date.now() + scaled(20_000);
      for (;;) {
        const answers = await Promise.all(ids.map(async (id) => (await messagesOf(first, first.token, id)).find((m) => m.role === 'assistant')));
        if (answers.every((a) => a?.status === 'streaming' && a.content.length > 0)) return;
        if (Date.now() > deadline) throw new Error(`not all answers streaming with text: ${JSON.stringify(answers.map((a) => [a?.status, a?.content.length]))}`);
        await sleep(100);
      }
    })();

    // kill -9 of everything the platform runs, the launcher (and its embedded database server) included.
    const pids = [first.process.pid as number, ...Object.values(first.pids)];
    for (const pid of pids) process.kill(pid, 'SIGKILL');
    await first.exited;
    for (const pid of pids) while (alive(pid)) await sleep(50);
    await Promise.all(streams);
    platforms.pop();

    const second = await startPlatform(env);
    platforms.push(second);
    const answers = await (async () => {
      const deadline = Date.now() + scaled(20_000);
      for (;;) {
        const all = await Promise.all(ids.map((id) => messagesOf(second, second.token, id)));
        if (all.every((messages) => messages.every((m) => m.status !== 'streaming'))) return all;
        if (Date.now() > deadline) throw new Error('answers still streaming after the restart');
        await sleep(200);
      }
    })();
    let interrupted = 0;
    for (const [i, messages] of answers.entries()) {
      assert.equal(messages.length, 2, `conversation ${i}: its user message and its answer`);
      assert.deepEqual([messages[0]?.role, messages[0]?.content, messages[0]?.status], ['user', `question number ${i} about samosas`, 'complete']);
      const answer = messages[1] as Message;
      assert.equal(answer.role, 'assistant');
      if (answer.status === 'complete') continue;
      assert.equal(answer.status, 'incomplete', `conversation ${i}: ${answer.status}`);
      assert.equal(answer.failure_code, 'interrupted');
      assert.ok(answer.content.length > 0, 'the text streamed before the crash is kept');
      interrupted++;
    }
    assert.ok(interrupted > 0, 'the crash interrupted answers (they were mid-stream)');
    assert.ok(second.logLines().some((l) => l.message === 'answers_marked_interrupted'), 'the restarted chat-api marked them');
  });
});
