import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DependencyWatch } from './dependencies.js';

describe('DependencyWatch', () => {
  it('starts unknown, then caches each probe: ok with a detail, or the error, bounded by the timeout', async () => {
    const watch = new DependencyWatch(50, 60_000);
    let inferenceUp = true;
    watch.add('auth', () => 'auth reachable');
    watch.add('inference', () => {
      if (!inferenceUp) throw new Error('connect ECONNREFUSED 127.0.0.1:8003');
    });
    watch.add('slow', () => new Promise(() => {}));
    assert.deepEqual(watch.snapshot()['auth'], { ok: null, detail: 'not probed yet', checked_at: null });
    await watch.probeNow();
    const first = watch.snapshot();
    assert.deepEqual([first['auth']?.ok, first['auth']?.detail], [true, 'auth reachable']);
    assert.deepEqual([first['inference']?.ok, first['inference']?.detail], [true, 'reachable']);
    assert.deepEqual([first['slow']?.ok, first['slow']?.detail], [false, 'no answer within 50 ms']);
    assert.match(first['auth']?.checked_at ?? '', /^\d{4}-\d\d-\d\dT/);
    inferenceUp = false;
    await watch.probeNow();
    assert.deepEqual([watch.snapshot()['inference']?.ok, watch.snapshot()['inference']?.detail], [false, 'connect ECONNREFUSED 127.0.0.1:8003']);
    assert.deepEqual(watch.names, ['auth', 'inference', 'slow']);
    assert.throws(() => watch.add('auth', () => {}), /already registered/);
  });

  it('joins a probe already running instead of starting a second one', async () => {
    const watch = new DependencyWatch(1000, 60_000);
    let calls = 0;
    watch.add('x', async () => {
      calls++;
      await new Promise((r) => setTimeout(r, 20));
    });
    await Promise.all([watch.probeNow(), watch.probeNow(), watch.probeNow()]);
    assert.equal(calls, 1);
    watch.start();
    watch.start();
    watch.stop();
  });
});
