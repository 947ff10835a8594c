import assert from 'node:assert/strict';
import { availableParallelism, loadavg } from 'node:os';
import { afterEach, describe, it } from 'node:test';
import { scaled, timeoutScale } from './timeouts.js';

describe('scaled test timeouts', () => {
  const saved = process.env['TEST_TIMEOUT_SCALE'];
  afterEach(() => {
    if (saved === undefined) delete process.env['TEST_TIMEOUT_SCALE'];
    else process.env['TEST_TIMEOUT_SCALE'] = saved;
  });

  it('never shrinks a bound, and grows it with the load per core', () => {
    delete process.env['TEST_TIMEOUT_SCALE'];
    const perCore = (loadavg()[0] ?? 0) / availableParallelism();
    const scale = timeoutScale();
    assert.ok(scale >= 1);
    assert.ok(scale >= perCore - 0.5, `scale ${scale} for a load of ${perCore} per core`);
    assert.ok(scaled(1000) >= 1000);
  });

  it('takes a larger floor from TEST_TIMEOUT_SCALE and ignores a malformed one', () => {
    process.env['TEST_TIMEOUT_SCALE'] = '50';
    assert.ok(timeoutScale() >= 50);
    assert.ok(scaled(2000) >= 100_000);
    process.env['TEST_TIMEOUT_SCALE'] = 'fast';
    assert.ok(timeoutScale() >= 1);
  });
});
