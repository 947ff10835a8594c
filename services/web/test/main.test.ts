import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { createInterface } from 'node:readline';
import { fileURLToPath } from 'node:url';
import { after, describe, it } from 'node:test';
import { fixtureUi, newInternalKey, startUpstream, type Upstream } from './support/harness.js';
import { scaled } from '../../../test/support/timeouts.js';

const MAIN = fileURLToPath(new URL('../src/main.ts', import.meta.url));
const BUILD_UI = fileURLToPath(new URL('../src/build-ui.ts', import.meta.url));

interface WebProcess {
  lines: Array<Record<string, unknown>>;
  stderr(): string;
  exited: Promise<number | null>;
  started: Promise<Record<string, unknown>>;
  signal(name: NodeJS.Signals): void;
  kill(): void;
}

/** Runs web's main.ts as a real process with exactly `env` (plus PATH and HOME). */
function runMain(env: Record<string, string>): WebProcess {
  const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', MAIN], {
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let stderr = '';
  child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
  const lines: Array<Record<string, unknown>> = [];
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  const started = new Promise<Record<string, unknown>>((resolve, reject) => {
    void exited.then((code) => reject(new Error(`web exited with ${code}: ${stderr}`)));
    createInterface({ input: child.stdout }).on('line', (line) => {
      const parsed = JSON.parse(line) as Record<string, unknown>;
      lines.push(parsed);
      if (parsed.message === 'service_started') resolve(parsed);
    });
  });
  started.catch(() => undefined);
  return {
    lines,
    stderr: () => stderr,
    exited,
    started,
    signal: (name) => child.kill(name),
    kill: () => {
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    },
  };
}

describe('main.ts as a real process', { timeout: scaled(120_000) }, () => {
  const processes: WebProcess[] = [];
  const cleanups: Array<() => unknown> = [];
  const run = (env: Record<string, string>) => {
    const p = runMain(env);
    processes.push(p);
    return p;
  };
  after(async () => {
    for (const p of processes) p.kill();
    await Promise.all(processes.map((p) => p.exited));
    for (const c of cleanups) await c();
  });

  it('refuses to start on a bad variable with one line naming it', async () => {
    const missing = run({});
    assert.equal(await missing.exited, 1);
    assert.match(missing.stderr(), /^web: configuration error: INTERNAL_API_KEY: is required/);
    assert.equal(missing.stderr().trim().split('\n').length, 1);
    const port = run({ INTERNAL_API_KEY: newInternalKey(), PORT: 'web' });
    assert.equal(await port.exited, 1);
    assert.match(port.stderr(), /^web: configuration error: PORT: must be a whole number/);
  });

  it('builds the UI with `npm run build:ui`: a bundle that does not compile exits 1 naming the file', async () => {
    const ui = fixtureUi({ brokenTs: true });
    cleanups.push(ui.remove);
    const child = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', BUILD_UI, ui.dir], { stdio: ['ignore', 'pipe', 'pipe'] });
    let stderr = '';
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once('exit', resolve));
    assert.equal(code, 1);
    assert.match(stderr, /^web: bundling .*chat\.ts failed: .*Could not resolve "\.\/missing-module\.js"/);
  });

  it('starts without bundling anything: an unbuilt UI is served as a 503 naming the command', async () => {
    const ui = fixtureUi();
    cleanups.push(ui.remove);
    const p = run({ INTERNAL_API_KEY: newInternalKey(), PORT: '0', WEB_UI_DIR: ui.dir, METRICS_SCRAPE_INTERVAL_MS: '0' });
    const started = await p.started;
    try {
      const res = await fetch(`http://127.0.0.1:${String(started.port)}/assets/chat.js`);
      assert.equal(res.status, 503);
      assert.match(await res.text(), /dist\/chat\.js is missing \(run `npm run build:ui`\)/);
    } finally {
      p.kill();
      await p.exited;
    }
  });

  it('serves, and on SIGTERM lets a proxied stream finish before it exits 0', async () => {
    const ui = fixtureUi();
    cleanups.push(ui.remove);
    let release!: () => void;
    const released = new Promise<void>((resolve) => (release = resolve));
    const chat: Upstream = await startUpstream((app) => {
      app.get('/health', async () => ({ status: 'ok' }));
      app.get('/api/slow', (_request, reply) => {
        reply.hijack();
        reply.raw.writeHead(200, { 'content-type': 'text/event-stream' });
        reply.raw.write('data: {"token":"first"}\n\n');
        void released.then(() => reply.raw.end('data: {"done":true}\n\n'));
      });
    });
    cleanups.push(() => chat.close());
    const p = run({ INTERNAL_API_KEY: newInternalKey(), PORT: '0', WEB_UI_DIR: ui.dir, CHAT_API_URL: chat.url, AUTH_URL: chat.url, METRICS_SCRAPE_INTERVAL_MS: '0', SAMOSACHAAT_LOCAL: 'true' });
    const started = await p.started;
    assert.equal(started.service, 'web');
    const url = `http://127.0.0.1:${String(started.port)}`;
    assert.equal((await fetch(`${url}/`)).status, 200);
    assert.equal((await fetch(`${url}/ready`)).status, 200);

    const res = await fetch(`${url}/api/slow`);
    const reader = res.body!.getReader();
    const first = await reader.read();
    assert.match(new TextDecoder().decode(first.value), /first/);
    p.signal('SIGTERM');
    // Still running while the stream is open: the shutdown waits for it.
    const stopping = await new Promise<boolean>((resolve) => {
      const check = () => (p.lines.some((l) => l.message === 'service_stopping') ? resolve(true) : setTimeout(check, 25));
      check();
    });
    assert.equal(stopping, true);
    assert.equal(p.lines.some((l) => l.message === 'service_stopped'), false);
    release();
    let rest = '';
    for (;;) {
      const { value, done } = await reader.read();
      if (done) break;
      rest += new TextDecoder().decode(value);
    }
    assert.match(rest, /"done":true/);
    assert.equal(await p.exited, 0);
    assert.ok(p.lines.some((l) => l.message === 'service_stopped'));
  });
});
