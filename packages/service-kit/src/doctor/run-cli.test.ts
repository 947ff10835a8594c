import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DoctorRegistry } from './registry.js';
import { DOCTOR_EXIT, runDoctorCli, type DoctorCliIo } from './run-cli.js';
import type { DoctorJson } from './report.js';

const ESC = '\u001b[';

function fakeIo(overrides: Partial<DoctorCliIo> = {}): DoctorCliIo & { out: () => string; err: () => string } {
  let out = '';
  let err = '';
  return {
    stdout: { write: (s: string) => (out += s) },
    stderr: { write: (s: string) => (err += s) },
    isTTY: true,
    env: {},
    ...overrides,
    out: () => out,
    err: () => err,
  };
}

function registry(failing = false): DoctorRegistry {
  return new DoctorRegistry()
    .register({ name: 'alpha', description: 'always fine', run: () => ({ ok: true, detail: 'alpha ok' }) })
    .register({ name: 'beta', description: 'not applicable here', run: () => ({ ok: true, detail: 'n/a', skipped: true }) })
    .register({
      name: 'gamma',
      description: 'fails on demand',
      run: () => (failing ? { ok: false, detail: 'gamma broke', fix: 'restart gamma' } : { ok: true, detail: 'gamma ok' }),
    });
}

describe('runDoctorCli', () => {
  it('exits 0 when every check is ok or skipped, coloured on a TTY', async () => {
    const io = fakeIo();
    assert.equal(await runDoctorCli(registry(), [], io), DOCTOR_EXIT.ok);
    assert.ok(io.out().includes(`${ESC}32m✔`), io.out());
    assert.match(io.out(), /2 passed, 0 failed, 1 skipped/);
    assert.match(io.out(), /-.* beta +skipped: n\/a\n/);
    assert.equal(io.err(), '');
  });

  it('exits 1 when a check fails and prints its fix', async () => {
    const io = fakeIo();
    assert.equal(await runDoctorCli(registry(true), [], io), DOCTOR_EXIT.failed);
    assert.match(io.out(), /gamma broke\n\s+fix: restart gamma/);
  });

  it('--json prints a parseable report and never colours', async () => {
    const io = fakeIo({ isTTY: true });
    assert.equal(await runDoctorCli(registry(true), ['--json'], io), 1);
    assert.equal(io.out().includes(ESC), false);
    const report = JSON.parse(io.out()) as DoctorJson;
    assert.equal(report.ok, false);
    assert.deepEqual(report.checks.map((c) => [c.name, c.status, c.ok, c.fix]), [
      ['alpha', 'passed', true, null],
      ['beta', 'skipped', null, null],
      ['gamma', 'failed', false, 'restart gamma'],
    ]);
    assert.deepEqual(report.summary, { passed: 1, failed: 1, skipped: 1 });
  });

  it('runs only the named checks, positionally or with --only / --only=', async () => {
    for (const argv of [['gamma', 'alpha'], ['--only', 'gamma', '--only=alpha'], ['--', 'alpha', 'gamma']]) {
      const io = fakeIo();
      assert.equal(await runDoctorCli(registry(true), ['--json', ...argv], io), 1, argv.join(' '));
      assert.deepEqual((JSON.parse(io.out()) as DoctorJson).checks.map((c) => c.name), ['alpha', 'gamma'], argv.join(' '));
    }
    const io = fakeIo();
    assert.equal(await runDoctorCli(registry(true), ['--json', 'alpha'], io), 0);
    assert.deepEqual((JSON.parse(io.out()) as DoctorJson).checks.map((c) => c.name), ['alpha']);
  });

  it('does not colour when stdout is not a TTY, NO_COLOR is set, or --no-color is given', async () => {
    for (const io of [fakeIo({ isTTY: false }), fakeIo({ env: { NO_COLOR: '1' } })]) {
      await runDoctorCli(registry(), [], io);
      assert.equal(io.out().includes(ESC), false);
    }
    const io = fakeIo();
    await runDoctorCli(registry(), ['--no-color'], io);
    assert.equal(io.out().includes(ESC), false);
    assert.match(io.out(), /✔ {2}alpha/);
  });

  it('exits 2 with a message on stderr for an unknown flag, unknown check or bad value', async () => {
    const cases: Array<[string[], RegExp]> = [
      [['--verbose'], /unknown option "--verbose"/],
      [['delta'], /unknown check: delta \(known: alpha, beta, gamma\)/],
      [['--only'], /--only needs a value/],
      [['--timeout', 'soon'], /--timeout wants a positive whole number/],
      [['--json=yes'], /unknown option "--json=yes"/],
    ];
    for (const [argv, message] of cases) {
      const io = fakeIo({ command: 'samosachaat doctor' });
      assert.equal(await runDoctorCli(registry(), argv, io), DOCTOR_EXIT.usage, argv.join(' '));
      assert.match(io.err(), message);
      assert.match(io.err(), /run `samosachaat doctor --help` for usage/);
      assert.equal(io.out(), '');
    }
  });

  it('--help lists options and registered checks and exits 0 without running anything', async () => {
    let ran = false;
    const reg = new DoctorRegistry().register({ name: 'probe', description: 'says hi', run: () => ((ran = true), { ok: true, detail: '' }) });
    const io = fakeIo();
    assert.equal(await runDoctorCli(reg, ['--help'], io), 0);
    assert.match(io.out(), /usage: doctor \[options\] \[check\.\.\.\]/);
    assert.match(io.out(), /--json/);
    assert.match(io.out(), /probe {2}says hi/);
    assert.equal(ran, false);
  });

  it('passes --timeout to the runner', async () => {
    const reg = new DoctorRegistry().register({ name: 'slow', description: 'hangs', run: () => new Promise(() => undefined) });
    const io = fakeIo();
    assert.equal(await runDoctorCli(reg, ['--timeout', '20', '--json'], io), 1);
    assert.equal((JSON.parse(io.out()) as DoctorJson).checks[0]?.detail, 'timed out after 20 ms');
  });
});
