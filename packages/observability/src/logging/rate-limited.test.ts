import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LogCapture } from '../../test/support/log-capture.js';
import { createLogger } from './logger.js';
import { createRateLimitedLogger } from './rate-limited.js';

describe('rate-limited logger', () => {
  it('lets one line per key per second through and reports what it suppressed', () => {
    const logs = new LogCapture();
    const handle = createLogger({ service: 'auth', destination: logs });
    let now = 1_000_000;
    const limited = createRateLimitedLogger(handle.getLogger('exporter'), { now: () => now });

    assert.equal(limited.warning('export_failed', { attempt: 1 }), true);
    for (let i = 0; i < 5; i++) assert.equal(limited.warning('export_failed'), false);
    assert.equal(limited.warning('queue_full'), true, 'another key is not silenced');
    now += 999;
    assert.equal(limited.warning('export_failed'), false);
    now += 1;
    assert.equal(limited.warning('export_failed', { attempt: 8 }), true);
    now += 1000;
    assert.equal(limited.error('export_failed'), true);

    const lines = logs.lines();
    assert.deepEqual(
      lines.map((l) => [l.message, l.level, l.suppressed_count, l.logger]),
      [
        ['export_failed', 'warning', undefined, 'exporter'],
        ['queue_full', 'warning', undefined, 'exporter'],
        ['export_failed', 'warning', 6, 'exporter'],
        ['export_failed', 'error', undefined, 'exporter'],
      ],
    );
    assert.equal(lines[2]?.attempt, 8);
  });

  it('keeps keys per wrapped logger', () => {
    const logs = new LogCapture();
    const handle = createLogger({ service: 'auth', destination: logs });
    const now = () => 5;
    const a = createRateLimitedLogger(handle.getLogger('a'), { now });
    const b = createRateLimitedLogger(handle.getLogger('b'), { now });
    assert.equal(a.warning('same_key'), true);
    assert.equal(b.warning('same_key'), true);
  });

  it('forgets the oldest key past maxKeys', () => {
    const logs = new LogCapture();
    const handle = createLogger({ service: 'auth', destination: logs });
    const limited = createRateLimitedLogger(handle.logger, { now: () => 0, maxKeys: 2 });
    limited.warning('k1');
    limited.warning('k2');
    limited.warning('k3'); // evicts k1
    assert.equal(limited.warning('k1'), true);
    assert.equal(limited.warning('k3'), false);
  });
});
