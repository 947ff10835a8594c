/**
 * Drives the kind of traffic a monitoring proof needs through the public APIs of a running
 * platform: sign-ins, conversations, streamed chats read to their end, a client that leaves
 * mid-stream, 4xx answers (bad token, unknown conversation, bad body, unknown route), and real
 * 5xx answers (inference over capacity: run the platform with WORKERS=1 QUEUE_LIMIT=0 and send
 * chats concurrently). Returns every status seen, so a test can check the traffic happened.
 */
import { randomUUID } from 'node:crypto';
import { readSse } from './platform.js';

export interface TrafficUrls {
  auth: string;
  chat: string;
  inference: string;
}

/** Statuses seen, by a short name of what was done (`chat`, `bad_token`…). */
export type TrafficLog = Record<string, number[]>;

const json = { 'content-type': 'application/json' };

function record(log: TrafficLog, what: string, status: number): void {
  (log[what] ??= []).push(status);
}

async function login(urls: TrafficUrls, email: string, log: TrafficLog): Promise<{ token: string; cookie: string }> {
  const res = await fetch(`${urls.auth}/auth/dev-login`, { method: 'POST', headers: json, body: JSON.stringify({ email, name: 'Monitoring Proof' }) });
  record(log, 'login', res.status);
  if (!res.ok) throw new Error(`dev-login for ${email} answered ${res.status}: ${await res.text()}`);
  const cookie = res.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
  return { token: ((await res.json()) as { access_token: string }).access_token, cookie };
}

async function call(log: TrafficLog, what: string, url: string, init: RequestInit = {}): Promise<Response> {
  const res = await fetch(url, init);
  record(log, what, res.status);
  return res;
}

interface ChatOptions {
  /** Abort once the first token arrived (a client that leaves mid-stream). */
  leaveEarly?: boolean;
  /**
   * Retry a 503 (the single worker slot still busy with an earlier generation, e.g. one whose
   * client left) like a polite client; the busy answers are logged as `<what>_busy`.
   */
  retryBusy?: boolean;
  /** POST …/regenerate (replace the last answer) instead of sending `content`. */
  regenerate?: boolean;
}

/** Sends a chat message and reads the SSE answer to its end (or aborts it after the first token). */
async function chat(urls: TrafficUrls, token: string, conversationId: string, content: string, log: TrafficLog, what: string, options: ChatOptions = {}): Promise<void> {
  const controller = new AbortController();
  const send = () =>
    fetch(`${urls.chat}/api/conversations/${conversationId}/${options.regenerate ? 'regenerate' : 'messages'}`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${token}` },
      body: JSON.stringify(options.regenerate ? {} : { content }),
      signal: controller.signal,
    });
  let res = await send();
  for (let attempt = 0; options.retryBusy && res.status === 503 && attempt < 60; attempt++) {
    record(log, `${what}_busy`, res.status);
    await res.text();
    await new Promise((r) => setTimeout(r, 250));
    res = await send();
  }
  record(log, what, res.status);
  if (!res.ok || !res.body) {
    await res.text();
    return;
  }
  try {
    await readSse(res, (events) => options.leaveEarly === true && events.some((e) => typeof e.data['token'] === 'string'));
  } finally {
    if (options.leaveEarly) controller.abort();
  }
}

/** One round of varied traffic. Safe to call repeatedly; each call signs in afresh. */
export async function driveTraffic(urls: TrafficUrls, log: TrafficLog = {}): Promise<TrafficLog> {
  const auth = (token: string) => ({ ...json, authorization: `Bearer ${token}` });
  const { token, cookie } = await login(urls, `proof-${randomUUID().slice(0, 8)}@samosachaat.local`, log);

  await call(log, 'me', `${urls.auth}/auth/me`, { headers: auth(token) });
  await call(log, 'refresh', `${urls.auth}/auth/refresh`, { method: 'POST', headers: { cookie } });
  const created = await call(log, 'create_conversation', `${urls.chat}/api/conversations`, { method: 'POST', headers: auth(token), body: JSON.stringify({ title: 'monitoring proof' }) });
  const conversationId = ((await created.json()) as { id: string }).id;
  await call(log, 'list_conversations', `${urls.chat}/api/conversations`, { headers: auth(token) });
  await call(log, 'rename_conversation', `${urls.chat}/api/conversations/${conversationId}`, { method: 'PUT', headers: auth(token), body: JSON.stringify({ title: 'renamed' }) });
  await call(log, 'models', `${urls.chat}/api/models`, { headers: auth(token) });

  // Streamed chats, one after another so each gets the single worker slot.
  for (const content of ['Tell me about samosas', 'And about chaat?']) await chat(urls, token, conversationId, content, log, 'chat', { retryBusy: true });
  await chat(urls, token, conversationId, '', log, 'regenerate', { regenerate: true, retryBusy: true });
  await call(log, 'get_conversation', `${urls.chat}/api/conversations/${conversationId}`, { headers: auth(token) });
  // A client that leaves mid-stream (chat-api keeps generating and persists the answer).
  await chat(urls, token, conversationId, 'A long story, please', log, 'chat_left_early', { leaveEarly: true, retryBusy: true });

  // 4xx answers.
  await call(log, 'bad_token', `${urls.chat}/api/conversations`, { headers: auth('not-a-token') });
  await call(log, 'unknown_conversation', `${urls.chat}/api/conversations/${randomUUID()}`, { headers: auth(token) });
  await call(log, 'bad_body', `${urls.chat}/api/conversations/${conversationId}/messages`, { method: 'POST', headers: auth(token), body: JSON.stringify({ content: 42 }) });
  await call(log, 'unknown_route', `${urls.chat}/api/no-such-route`, { headers: auth(token) });

  // 5xx: more chats at once than inference has worker slots and queue places.
  const busyIds: string[] = [];
  for (let i = 0; i < 4; i++) {
    const busy = await call(log, 'create_conversation', `${urls.chat}/api/conversations`, { method: 'POST', headers: auth(token), body: '{}' });
    busyIds.push(((await busy.json()) as { id: string }).id);
  }
  await Promise.all(busyIds.map((id, i) => chat(urls, token, id, `Concurrent question ${i}`, log, 'chat_concurrent')));

  const removed = await call(log, 'create_conversation', `${urls.chat}/api/conversations`, { method: 'POST', headers: auth(token), body: '{}' });
  await call(log, 'delete_conversation', `${urls.chat}/api/conversations/${((await removed.json()) as { id: string }).id}`, { method: 'DELETE', headers: auth(token) });
  return log;
}
