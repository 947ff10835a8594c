import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DoctorRegistry } from './registry.js';
import type { CheckOutcome, DoctorCheck, DoctorContext } from './types.js';

function check(name: string, run: DoctorCheck['run'] = () => ({ ok: true, detail: `${name} fine` })): DoctorCheck {
  return { name, description: `checks ${name}`, run };
}

describe('DoctorRegistry.register', () => {
  it('rejects a duplicate name with an exact message', () => {
    const registry = new DoctorRegistry().register(check('disk-space'));
    assert.throws(() => registry.register(check('disk-space')), {
      name: 'Error',
      message: 'doctor check "disk-space" is already registered',
    });
  });

  it('rejects names that are not kebab-case', () => {
    const registry = new DoctorRegistry();
    for (const bad of ['Disk', 'disk_space', 'disk space', '-disk', 'disk-', 'disk--space', '']) {
      assert.throws(() => registry.register(check(bad)), {
        message: `invalid doctor check name ${JSON.stringify(bad)}: use lowercase kebab-case, e.g. "disk-space"`,
      });
    }
    registry.register(check('jwt-keys')).register(check('s3'));
    assert.deepEqual(registry.names(), ['jwt-keys', 's3']);
  });

  it('lists names and descriptions in registration order', () => {
    const registry = new DoctorRegistry().register(check('b')).register(check('a'));
    assert.deepEqual(registry.list(), [
      { name: 'b', description: 'checks b' },
      { name: 'a', description: 'checks a' },
    ]);
  });
});

describe('DoctorRegistry.run', () => {
  it('runs all checks, or only the named ones, in registration order', async () => {
    const ran: string[] = [];
    const registry = new DoctorRegistry();
    for (const name of ['one', 'two', 'three']) {
      registry.register(check(name, () => (ran.push(name), { ok: true, detail: name })));
    }
    assert.deepEqual((await registry.run()).map((r) => r.name), ['one', 'two', 'three']);
    ran.length = 0;
    const some = await registry.run({ only: ['three', 'one'] });
    assert.deepEqual(some.map((r) => r.name), ['one', 'three']);
    assert.deepEqual(ran.sort(), ['one', 'three']);
  });

  it('rejects unknown names in `only`, naming them and the known ones', async () => {
    const registry = new DoctorRegistry().register(check('disk-space')).register(check('ports-free'));
    await assert.rejects(registry.run({ only: ['disk-space', 'nope', 'nada'] }), {
      message: 'unknown doctor checks: nope, nada (known: disk-space, ports-free)',
    });
  });

  it('runs checks concurrently', async () => {
    // "first" can only finish once "second" has started: a sequential runner would time it out.
    let release!: () => void;
    const started = new Promise<void>((resolve) => (release = resolve));
    const registry = new DoctorRegistry()
      .register(check('first', async () => (await started, { ok: true, detail: 'saw second start' })))
      .register(check('second', () => (release(), { ok: true, detail: 'started' })));
    const results = await registry.run({ timeoutMs: 1000 });
    assert.deepEqual(results.map((r) => [r.name, r.ok]), [['first', true], ['second', true]]);
  });

  it('turns a check that never settles into a timed-out failure and aborts its signal', async () => {
    let seen: DoctorContext | undefined;
    const registry = new DoctorRegistry()
      .register(check('hangs', (ctx) => ((seen = ctx), new Promise<CheckOutcome>(() => undefined))))
      .register(check('quick'));
    const [hung, quick] = await registry.run({ timeoutMs: 30 });
    assert.equal(hung?.ok, false);
    assert.equal(hung?.detail, 'timed out after 30 ms');
    assert.match(hung?.fix ?? '', /--timeout/);
    assert.ok((hung?.duration_ms ?? 0) >= 25, `duration ${hung?.duration_ms}`);
    assert.equal(seen?.signal.aborted, true);
    assert.equal(seen?.timeoutMs, 30);
    assert.equal(quick?.ok, true);
  });

  it('turns throws (sync or async) into failed results without stopping other checks', async () => {
    const registry = new DoctorRegistry()
      .register(check('sync-throw', () => {
        throw new Error('boom');
      }))
      .register(check('async-throw', async () => Promise.reject(new Error('later boom'))))
      .register(check('with-fix', () => {
        throw Object.assign(new Error('no key'), { fix: 'run `make keys`' });
      }))
      .register(check('fine'));
    const results = await registry.run();
    assert.deepEqual(
      results.map((r) => [r.name, r.ok, r.detail]),
      [
        ['sync-throw', false, 'check threw: boom'],
        ['async-throw', false, 'check threw: later boom'],
        ['with-fix', false, 'check threw: no key'],
        ['fine', true, 'fine fine'],
      ],
    );
    assert.match(results[0]?.fix ?? '', /bug in the "sync-throw" doctor check/);
    assert.equal(results[2]?.fix, 'run `make keys`');
  });

  it('never reports a failure without a fix', async () => {
    const registry = new DoctorRegistry()
      .register(check('no-fix', () => ({ ok: false, detail: 'bad' })))
      .register(check('blank-fix', () => ({ ok: false, detail: 'bad', fix: '  ' })))
      .register(check('not-an-outcome', () => 'yes' as unknown as CheckOutcome));
    for (const result of await registry.run()) {
      assert.equal(result.ok, false, result.name);
      assert.match(result.fix ?? '', new RegExp(`bug in the "${result.name}" doctor check`));
    }
  });

  it('shapes results: fix null when ok, skipped honoured only on success and never ok', async () => {
    const registry = new DoctorRegistry()
      .register(check('ok', () => ({ ok: true, detail: 'd', fix: 'ignored' })))
      .register(check('skip', () => ({ ok: true, detail: 'n/a', skipped: true })))
      .register(check('fail-skip', () => ({ ok: false, detail: 'x', fix: 'f', skipped: true })));
    const [ok, skip, failSkip] = await registry.run();
    assert.deepEqual({ ...ok, duration_ms: 0 }, { name: 'ok', status: 'passed', ok: true, detail: 'd', fix: null, duration_ms: 0, skipped: false });
    assert.equal(Number.isInteger(ok?.duration_ms), true);
    // A skipped check did not run: it is not reported as ok.
    assert.deepEqual([skip?.status, skip?.ok, skip?.skipped, skip?.fix], ['skipped', null, true, null]);
    assert.deepEqual([failSkip?.status, failSkip?.ok, failSkip?.skipped, failSkip?.fix], ['failed', false, false, 'f']);
  });

  it('rejects a non-positive timeout', async () => {
    await assert.rejects(new DoctorRegistry().run({ timeoutMs: 0 }), /positive number of milliseconds/);
  });
});
