/**
 * The client's address, end to end: auth's per-address login limit must see the browser's
 * address, not web's nor an Ingress controller's, or one client locks everyone out of
 * sign-in. Clients connect from distinct loopback addresses (127.0.0.2, 127.0.0.3…), once
 * straight to web and once through a stand-in Ingress controller that, like ingress-nginx,
 * replaces X-Forwarded-For with the address it saw. The platform runs with TRUST_PROXY set to
 * the controller's address (127.0.0.1), as deploy/kubernetes sets it to the cluster's ranges.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { startPlatform, type Platform } from '../support/platform.js';
import { scaled } from '../support/timeouts.js';

interface Answer {
  status: number;
  body: string;
}

/** POST /auth/dev-login from `localAddress` to `base`, with extra headers. */
function devLogin(base: string, localAddress: string, headers: Record<string, string> = {}): Promise<Answer> {
  const url = new URL('/auth/dev-login', base);
  const body = JSON.stringify({ email: 'address@example.com' });
  return new Promise((resolve, reject) => {
    const req = http.request(url, { method: 'POST', localAddress, agent: false, headers: { 'content-type': 'application/json', 'content-length': Buffer.byteLength(body), ...headers } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body: text }));
    });
    req.on('error', reject);
    req.end(body);
  });
}

/** An Ingress controller stand-in: forwards to `target`, X-Forwarded-For set to the peer's address. */
async function startIngress(target: string): Promise<{ url: string; close(): Promise<void> }> {
  const upstream = new URL(target);
  const server = http.createServer((req, res) => {
    const headers = { ...req.headers, 'x-forwarded-for': req.socket.remoteAddress ?? '', 'x-forwarded-proto': 'https', 'x-real-ip': req.socket.remoteAddress ?? '' };
    const out = http.request({ host: upstream.hostname, port: upstream.port, path: req.url, method: req.method, headers, localAddress: '127.0.0.1', agent: false }, (answer) => {
      res.writeHead(answer.statusCode ?? 502, answer.headers);
      answer.pipe(res);
    });
    out.on('error', () => res.writeHead(502).end());
    req.pipe(out);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}`, close: () => new Promise((resolve) => server.close(() => resolve())) };
}

describe('client address through web and through an Ingress', { timeout: scaled(240_000) }, () => {
  let platform: Platform;
  let ingress: { url: string; close(): Promise<void> };
  before(async () => {
    platform = await startPlatform({ TRUST_PROXY: '127.0.0.1' });
    ingress = await startIngress(platform.urls.web);
  });
  after(async () => {
    await ingress?.close();
    await platform?.stop();
  });

  it('straight to web: the 11th login of one client is refused, the next client is not, and a forged X-Forwarded-For changes nothing', async () => {
    for (let i = 0; i < 10; i++) {
      const res = await devLogin(platform.urls.web, '127.0.0.2', { 'x-forwarded-for': `198.51.100.${i}` });
      assert.equal(res.status, 200, `attempt ${i + 1}: ${res.body}`);
    }
    const refused = await devLogin(platform.urls.web, '127.0.0.2', { 'x-forwarded-for': '198.51.100.99' });
    assert.equal(refused.status, 429, refused.body);
    assert.equal((JSON.parse(refused.body) as { error: { code: string } }).error.code, 'AUTH_RATE_LIMITED');
    assert.equal((await devLogin(platform.urls.web, '127.0.0.3')).status, 200, 'another client of web is not locked out');
  });

  it('through the Ingress: limits follow the address the controller saw, per client', async () => {
    for (let i = 0; i < 10; i++) assert.equal((await devLogin(ingress.url, '127.0.0.4')).status, 200, `attempt ${i + 1}`);
    assert.equal((await devLogin(ingress.url, '127.0.0.4')).status, 429);
    assert.equal((await devLogin(ingress.url, '127.0.0.5')).status, 200, 'another client behind the same controller is not locked out');
    // stdout is written in batches (every 250 ms): wait for the access line rather than race it.
    const forwarded = () => platform.logLines().some((l) => l.service === 'web' && l.message === 'http_request_completed' && l.route === '/auth/*' && l.remote_addr === '127.0.0.4');
    const deadline = Date.now() + scaled(10_000);
    while (!forwarded() && Date.now() < deadline) await new Promise((r) => setTimeout(r, 100));
    assert.ok(forwarded(), 'web logs the client address the controller forwarded');
  });
});
