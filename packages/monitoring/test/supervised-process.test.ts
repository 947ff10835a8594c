import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtemp, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { findBinary, MissingBinaryError, supervise } from '../src/supervised-process.js';

const moduleUrl = new URL('../src/supervised-process.ts', import.meta.url).href;

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

async function until(what: string, check: () => boolean | Promise<boolean>, timeoutMs = 20_000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await check())) {
    if (Date.now() > deadline) throw new Error(`timed out: ${what}`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

describe('findBinary', () => {
  it('finds an executable on PATH, or takes an absolute path as it is', () => {
    assert.equal(findBinary('sh', 'dash', '/nonexistent:/bin'), '/bin/sh');
    assert.equal(findBinary('/bin/sh', 'dash'), '/bin/sh');
  });

  it('names the Debian package when the binary is missing', () => {
    assert.throws(
      () => findBinary('prometheus-alertmanager', 'prometheus-alertmanager', '/nonexistent'),
      (err: unknown) => err instanceof MissingBinaryError && err.debianPackage === 'prometheus-alertmanager' && /apt-get install prometheus-alertmanager/.test(err.message),
    );
    assert.throws(() => findBinary('/nonexistent/prometheus', 'prometheus'), MissingBinaryError);
  });
});

describe('supervise', () => {
  let dir: string;
  before(async () => {
    dir = await mkdtemp(join(tmpdir(), 'samosachaat-supervise-'));
  });
  after(() => rm(dir, { recursive: true, force: true }));

  it('logs the output to a file and reports the exit code of a process that ends by itself', async () => {
    const proc = supervise({ name: 'say', command: '/bin/sh', args: ['-c', 'echo hello from the binary; echo oops >&2; exit 3'], logFile: join(dir, 'logs', 'say.log') });
    assert.equal(await proc.exited, 3);
    assert.equal(proc.hasExited(), true);
    assert.match(proc.logTail(), /hello from the binary\noops/);
    assert.equal(proc.logTail(5), 'oops\n');
    await proc.stop(); // already gone: resolves at once
  });

  it('reports the exit code of a binary that exits before the wrapper starts waiting (20 at once)', async () => {
    // The shell may reap such a binary before the wrapper's first `kill -0`; the wrapper used to
    // report 0 then (a CI flake, about 1 start in 8 on a busy machine).
    const procs = Array.from({ length: 20 }, (_, i) => supervise({ name: `quick${i}`, command: '/bin/sh', args: ['-c', 'exit 3'], logFile: join(dir, 'logs', `quick${i}.log`) }));
    assert.deepEqual(await Promise.all(procs.map((p) => p.exited)), procs.map(() => 3));
  });

  it('stop() ends the binary with SIGTERM', async () => {
    const pidFile = join(dir, 'sleep.pid');
    const proc = supervise({ name: 'sleeper', command: '/bin/sh', args: ['-c', `echo $$ > ${pidFile}; exec sleep 300`], logFile: join(dir, 'sleeper.log') });
    await until('the pid file', () => readFile(pidFile, 'utf8').then((t) => t.trim() !== '', () => false));
    const pid = Number((await readFile(pidFile, 'utf8')).trim());
    assert.equal(proc.hasExited(), false);
    await proc.stop();
    // The wrapper reports the binary's status: 128 + SIGTERM (15).
    assert.equal(await proc.exited, 143);
    assert.equal(alive(pid), false);
  });

  it('stop() kills a binary that ignores SIGTERM once the grace period is over', async () => {
    const proc = supervise({ name: 'stubborn', command: '/bin/sh', args: ['-c', "trap '' TERM; echo ready; while :; do sleep 1; done"], logFile: join(dir, 'stubborn.log') });
    await until('the binary to start', () => proc.logTail().includes('ready'));
    await proc.stop(500);
    assert.equal(await proc.exited, 'SIGKILL');
  });

  it('a launcher killed with SIGKILL takes its binaries with it', async () => {
    const pidFile = join(dir, 'orphan.pid');
    const script = `
      const { supervise } = await import(${JSON.stringify(moduleUrl)});
      supervise({ name: 'orphan', command: '/bin/sh', args: ['-c', 'echo $$ > ${pidFile}; exec sleep 300'], logFile: ${JSON.stringify(join(dir, 'orphan.log'))} });
      setInterval(() => {}, 1000);
    `;
    const launcher = spawn(process.execPath, ['--conditions=source', '--import', 'tsx', '--input-type=module', '-e', script], { cwd: fileURLToPath(new URL('..', import.meta.url)), stdio: 'ignore' });
    try {
      await until('the supervised binary to start', () => readFile(pidFile, 'utf8').then((t) => t.trim() !== '', () => false), 60_000);
      const pid = Number((await readFile(pidFile, 'utf8')).trim());
      assert.equal(alive(pid), true);
      launcher.kill('SIGKILL');
      await until(`binary ${pid} to stop after its launcher died`, () => !alive(pid));
    } finally {
      launcher.kill('SIGKILL');
    }
  });
});
