import assert from 'node:assert/strict';
import { createServer as createHttpServer, type Server as HttpServer } from 'node:http';
import { createServer, type AddressInfo, type Server, type Socket } from 'node:net';
import { afterEach, describe, it } from 'node:test';
import { identifyByHealth, portsFreeCheck } from '../src/doctor/ports-free-check.js';

const ctx = { signal: new AbortController().signal, timeoutMs: 5000 };
const cleanups: Array<() => Promise<void>> = [];
afterEach(async () => {
  await Promise.all(cleanups.splice(0).map((fn) => fn()));
});

async function listen<T extends Server | HttpServer>(server: T): Promise<number> {
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', resolve);
  });
  return (server.address() as AddressInfo).port;
}

/** A non-samosaChaat holder: accepts connections and never says anything. */
async function foreignServer(): Promise<number> {
  const sockets = new Set<Socket>();
  const server = createServer((socket) => {
    sockets.add(socket);
    socket.on('close', () => sockets.delete(socket));
  });
  const port = await listen(server);
  cleanups.push(async () => {
    for (const socket of sockets) socket.destroy();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return port;
}

/** A samosaChaat-like service whose /health names it. */
async function healthServer(body: string): Promise<number> {
  const server = createHttpServer((req, res) => {
    res.writeHead(req.url === '/health' ? 200 : 404, { 'content-type': 'application/json' }).end(body);
  });
  const port = await listen(server);
  cleanups.push(async () => {
    server.closeAllConnections();
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });
  return port;
}

async function freePort(): Promise<number> {
  const server = createServer();
  const port = await listen(server);
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('portsFreeCheck', () => {
  it('passes for a free port and releases it again', async () => {
    const port = await freePort();
    const outcome = await portsFreeCheck({ ports: [{ port, service: 'web' }] }).run(ctx);
    assert.deepEqual(outcome, { ok: true, detail: `port ${port} (web): free` });
    // The probe must not keep the port: we can bind it ourselves afterwards.
    const server = createServer();
    await new Promise<void>((resolve, reject) => server.once('error', reject).listen(port, '127.0.0.1', resolve));
    await new Promise<void>((resolve) => server.close(() => resolve()));
  });

  it('fails for a port held by a foreign process, with the ss command in the fix', async () => {
    const port = await foreignServer();
    const free = await freePort();
    const outcome = await portsFreeCheck({ ports: [{ port: free, service: 'web' }, { port, service: 'auth' }] }).run(ctx);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.detail, `port ${free} (web): free\nport ${port} (auth): in use by another process`);
    assert.equal(outcome.fix, `stop the process on port ${port} (\`ss -ltnp 'sport = :${port}'\`) or set auth's port to a free one`);
  });

  it("accepts a port held by the expected service's /health, rejects it for another service", async () => {
    const port = await healthServer('{"status":"ok","service":"auth"}');
    const ours = await portsFreeCheck({ ports: [{ port, service: 'auth' }] }).run(ctx);
    assert.deepEqual(ours, { ok: true, detail: `port ${port} (auth): held by our own auth` });
    const theirs = await portsFreeCheck({ ports: [{ port, service: 'chat-api' }] }).run(ctx);
    assert.equal(theirs.ok, false);
    assert.equal(theirs.detail, `port ${port} (chat-api): in use by samosaChaat auth, not chat-api`);
    assert.match(theirs.fix ?? '', /set chat-api's port/);
    // With the variable that sets the port, the fix names it.
    const named = await portsFreeCheck({ ports: [{ port, service: 'chat-api', variable: 'CHAT_API_PORT' }] }).run(ctx);
    assert.equal(named.fix, `stop the process on port ${port} (\`ss -ltnp 'sport = :${port}'\`) or set CHAT_API_PORT to a free one`);
  });

  it('uses an injected identify and treats its rejection as "unknown holder"', async () => {
    const port = await foreignServer();
    const asked: Array<[string, number]> = [];
    const ok = await portsFreeCheck({
      ports: [{ port, service: 'inference' }],
      identify: async (host, p) => (asked.push([host, p]), 'inference'),
    }).run(ctx);
    assert.equal(ok.ok, true);
    assert.deepEqual(asked, [['127.0.0.1', port]]);
    const failed = await portsFreeCheck({ ports: [{ port, service: 'inference' }], identify: () => Promise.reject(new Error('x')) }).run(ctx);
    assert.equal(failed.ok, false);
  });

  it('flags two services configured on one port without probing it twice', async () => {
    const port = await freePort();
    const outcome = await portsFreeCheck({ ports: [{ port, service: 'auth' }, { port, service: 'chat-api', host: '127.0.0.1' }] }).run(ctx);
    assert.equal(outcome.ok, false);
    assert.equal(outcome.detail, `port ${port} (auth): free\nport ${port}: assigned to both auth and chat-api`);
    assert.equal(outcome.fix, 'give auth and chat-api different ports');
  });

  it('is skipped, not passed, when there is no port to check', async () => {
    assert.deepEqual(await portsFreeCheck({ ports: [] }).run(ctx), { ok: true, skipped: true, detail: 'no service port to check on this machine' });
  });

  it('rejects impossible port numbers when the check is built', () => {
    for (const port of [0, -1, 65536, 80.5]) {
      assert.throws(() => portsFreeCheck({ ports: [{ port, service: 'web' }] }), /must be an integer 1-65535/);
    }
  });
});

describe('identifyByHealth', () => {
  it('returns the service field, or null for non-JSON bodies, missing fields and dead ports', async () => {
    assert.equal(await identifyByHealth('127.0.0.1', await healthServer('{"service":"web"}')), 'web');
    assert.equal(await identifyByHealth('127.0.0.1', await healthServer('<html>hi</html>')), null);
    assert.equal(await identifyByHealth('127.0.0.1', await healthServer('{"status":"ok"}')), null);
    assert.equal(await identifyByHealth('127.0.0.1', await freePort()), null);
  });
});
