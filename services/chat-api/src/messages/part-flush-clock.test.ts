import assert from 'node:assert/strict';
import { describe, it, mock } from 'node:test';
import { PartFlushClock, type PartFlushable } from './part-flush-clock.js';

function answer(log: string[], name: string): PartFlushable {
  return { flushDue: () => log.push(name) };
}

describe('PartFlushClock', () => {
  it('flushes every due answer at the same tick, each once, and stops when none is due', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const clock = new PartFlushClock(1000);
      const log: string[] = [];
      const a = answer(log, 'a');
      const b = answer(log, 'b');
      clock.add(a);
      mock.timers.tick(400);
      clock.add(b);
      clock.add(a); // added twice: flushed once
      assert.deepEqual(log, []);
      mock.timers.tick(600);
      assert.deepEqual(log, ['a', 'b'], 'both at the first tick, although b became due 400 ms later');
      assert.equal(clock.size, 0);
      mock.timers.tick(1000); // nothing due: the timer stops
      clock.add(b);
      mock.timers.tick(999);
      assert.deepEqual(log, ['a', 'b'], 'a restarted clock waits a whole interval');
      mock.timers.tick(1);
      assert.deepEqual(log, ['a', 'b', 'b']);
    } finally {
      mock.timers.reset();
    }
  });

  it('never flushes an answer deleted before the tick', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const clock = new PartFlushClock(200);
      const log: string[] = [];
      const a = answer(log, 'a');
      clock.add(a);
      clock.add(answer(log, 'b'));
      clock.delete(a);
      mock.timers.tick(200);
      assert.deepEqual(log, ['b']);
    } finally {
      mock.timers.reset();
    }
  });

  it('lets an answer flushed at a tick become due again for the next one', () => {
    mock.timers.enable({ apis: ['setInterval'] });
    try {
      const clock = new PartFlushClock(100);
      const log: string[] = [];
      const again: PartFlushable = { flushDue: () => (log.push('again'), clock.add(again)) };
      clock.add(again);
      mock.timers.tick(100);
      mock.timers.tick(100);
      assert.deepEqual(log, ['again', 'again']);
    } finally {
      mock.timers.reset();
    }
  });
});
