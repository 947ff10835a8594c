/**
 * web in the real platform: `samosachaat start` (what `npm start` runs) with every service as a
 * real process; a user signs in, chats and refreshes through web, and the console finds the
 * message's trace across all four services, its log lines, the figures and the doctor.
 */
import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readSse, startPlatform, type Platform } from '../../../test/support/platform.js';
import { eventually } from './support/harness.js';
import { scaled } from '../../../test/support/timeouts.js';

const json = { 'content-type': 'application/json' };

describe('web in the real platform', { timeout: scaled(300_000) }, () => {
  let p: Platform;
  before(async () => {
    p = await startPlatform();
  });
  after(async () => {
    await p?.stop();
  });

  it('prints web first in the banner and serves the chat page with its policy', async () => {
    assert.match(p.output(), new RegExp(`open ${p.urls.web} in a browser`));
    const page = await fetch(`${p.urls.web}/`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-security-policy') ?? '', /script-src 'self'/);
    assert.equal((await fetch(`${p.urls.web}/assets/chat.js`)).status, 200);
  });

  it('signs in, chats and refreshes through web; the console follows the message across every service', async () => {
    const login = await fetch(`${p.urls.web}/auth/dev-login`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'web-e2e@example.test', name: 'Web' }) });
    assert.equal(login.status, 200, await login.clone().text());
    const cookie = login.headers.getSetCookie().find((c) => c.startsWith('samosachaat_refresh='));
    assert.match(cookie ?? '', /Path=\/auth/);
    const token = ((await login.json()) as { access_token: string }).access_token;
    const auth = { authorization: `Bearer ${token}` };

    const created = await fetch(`${p.urls.web}/api/conversations`, { method: 'POST', headers: { ...json, ...auth }, body: '{}' });
    assert.equal(created.status, 201);
    const { id } = (await created.json()) as { id: string };

    // chat-api cached `token` when the conversation was created: send with another token (a
    // later login; tokens of the same second are identical) so the message's own trace
    // includes auth's validation.
    // One login in the next second (a loop of logins would run into auth's 10-per-minute limit).
    await new Promise((r) => setTimeout(r, 1050 - (Date.now() % 1000)));
    const again = await fetch(`${p.urls.web}/auth/dev-login`, { method: 'POST', headers: json, body: JSON.stringify({ email: 'web-e2e@example.test' }) });
    assert.equal(again.status, 200, await again.clone().text());
    const fresh = ((await again.json()) as { access_token: string }).access_token;
    assert.notEqual(fresh, token);
    const traceId = [...crypto.getRandomValues(new Uint8Array(16))].map((b) => b.toString(16).padStart(2, '0')).join('');
    const res = await fetch(`${p.urls.web}/api/conversations/${id}/messages`, {
      method: 'POST',
      headers: { ...json, authorization: `Bearer ${fresh}`, 'x-trace-id': traceId },
      body: JSON.stringify({ content: 'What goes well with samosa?' }),
    });
    assert.equal(res.status, 200);
    assert.equal(res.headers.get('x-trace-id'), traceId);
    const events = await readSse(res);
    assert.ok(events.filter((e) => typeof e.data.token === 'string').length > 1);
    assert.equal(events.at(-1)?.data.done, true);

    const refreshed = await fetch(`${p.urls.web}/auth/refresh`, { method: 'POST', headers: { cookie: (cookie as string).split(';')[0] as string } });
    assert.equal(refreshed.status, 200, await refreshed.clone().text());

    let seen: unknown;
    const trace = await eventually('the trace in all four services', async () => {
      const r = await fetch(`${p.urls.web}/ops/api/traces/${traceId}`);
      if (r.status !== 200) return undefined;
      const body = (await r.json()) as { services: string[]; spans: Array<{ service: string }>; generation: { output_tokens: number | null; model: string | null } | null };
      seen = { services: body.services, generation: body.generation };
      return ['web', 'chat-api', 'auth', 'inference'].every((s) => body.services.includes(s)) && body.generation ? body : undefined;
    });
    assert.ok((trace.generation?.output_tokens ?? 0) > 0, JSON.stringify(seen));
    assert.equal(trace.generation?.model, 'demo');
    const list = (await (await fetch(`${p.urls.web}/ops/api/traces?limit=100`)).json()) as { traces: Array<{ trace_id: string; root_name: string }> };
    // Named by what happened (chat-api's route name, through web's proxy), not `POST /api/*`.
    assert.equal(list.traces.find((t) => t.trace_id === traceId)?.root_name, 'send message');
    assert.equal(res.headers.get('x-span-name'), null, 'web keeps the name to itself');

    const logs = await eventually('log lines from web, chat-api and inference', async () => {
      const body = (await (await fetch(`${p.urls.web}/ops/api/logs?trace=${traceId}`)).json()) as { lines: Array<{ service: string; trace_id: string }> };
      const services = new Set(body.lines.map((l) => l.service));
      return ['web', 'chat-api', 'inference'].every((s) => services.has(s)) ? body.lines : undefined;
    });
    assert.ok(logs.every((l) => l.trace_id === traceId));

    const metrics = await eventually('figures for every service', async () => {
      const body = (await (await fetch(`${p.urls.web}/ops/api/metrics`)).json()) as { services: Record<string, { up: boolean; request_rate: number | null }> };
      return ['web', 'chat-api', 'auth', 'inference'].every((s) => body.services[s]?.up && body.services[s]?.request_rate !== null) ? body : undefined;
    }, 60_000);
    assert.ok(metrics);

    const doctor = (await (await fetch(`${p.urls.web}/ops/api/doctor`)).json()) as { results: Array<{ name: string; ok: boolean; detail: string }> };
    const ready = doctor.results.find((r) => r.name === 'services-ready');
    assert.equal(ready?.ok, true, ready?.detail);
    assert.match(ready?.detail ?? '', /web: ready/);
  });
});
