import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { fmt, median, MIN_RATE_FRACTION, pct, percentile, rateSustained, ratio, roundOrder, SampleBuffer, verdict } from './stats.js';

describe('median', () => {
  it('takes the middle value of an odd count, whatever the input order', () => {
    assert.equal(median([5, 1, 3]), 3);
    assert.equal(median([7]), 7);
  });

  it('averages the two middle values of an even count', () => {
    assert.equal(median([4, 1, 3, 2]), 2.5);
  });

  it('does not reorder its input', () => {
    const input = [3, 1, 2];
    median(input);
    assert.deepEqual(input, [3, 1, 2]);
  });

  it('rejects an empty list and non-finite values', () => {
    assert.throws(() => median([]), RangeError);
    assert.throws(() => median([1, Number.NaN]), RangeError);
  });
});

describe('percentile', () => {
  it('uses the nearest rank', () => {
    const values = Array.from({ length: 100 }, (_, i) => i + 1); // 1..100
    assert.equal(percentile(values, 99), 99);
    assert.equal(percentile(values, 50), 50);
    assert.equal(percentile(values, 100), 100);
    assert.equal(percentile([10, 20, 30], 1), 10);
  });

  it('sorts numerically, not as strings', () => {
    assert.equal(percentile([9, 10, 100, 2], 100), 100);
    assert.equal(percentile(new Float64Array([0.5, 0.25, 2]), 50), 0.5);
  });

  it('rejects an empty list and p outside (0, 100]', () => {
    assert.throws(() => percentile([], 50), RangeError);
    assert.throws(() => percentile([1], 0), RangeError);
    assert.throws(() => percentile([1], 101), RangeError);
  });
});

describe('ratio and verdict', () => {
  it('divides by the baseline', () => {
    assert.equal(ratio(70, 100), 0.7);
  });

  it('rejects a zero or non-finite baseline', () => {
    assert.throws(() => ratio(1, 0), RangeError);
    assert.throws(() => ratio(1, Number.POSITIVE_INFINITY), RangeError);
  });

  it('passes a minimum target when at or above it, a maximum when at or below it', () => {
    assert.equal(verdict(0.7, 0.7, 'min'), 'PASS');
    assert.equal(verdict(0.69, 0.7, 'min'), 'FAIL');
    assert.equal(verdict(1, 1, 'max'), 'PASS');
    assert.equal(verdict(1.01, 1, 'max'), 'FAIL');
  });
});

describe('roundOrder', () => {
  it('keeps the order on even rounds and reverses it on odd rounds, without mutating', () => {
    const arms = ['bare', 'full', 'assembled'] as const;
    assert.deepEqual(roundOrder(arms, 0), ['bare', 'full', 'assembled']);
    assert.deepEqual(roundOrder(arms, 1), ['assembled', 'full', 'bare']);
    assert.deepEqual(roundOrder(arms, 2), ['bare', 'full', 'assembled']);
    assert.deepEqual(arms, ['bare', 'full', 'assembled']);
  });
});

describe('formatting', () => {
  it('groups thousands and keeps the requested decimals', () => {
    assert.equal(fmt(12345.678, 1), '12 345.7');
    assert.equal(fmt(999), '999');
    assert.equal(fmt(-1234), '−1 234');
    assert.equal(pct(0.7346), '73.5 %');
  });
});

describe('SampleBuffer', () => {
  it('keeps every pushed value in order, growing past its initial capacity', () => {
    const buffer = new SampleBuffer(2);
    for (let i = 1; i <= 5; i++) buffer.push(i / 4);
    assert.equal(buffer.length, 5);
    assert.deepEqual([...buffer.values()], [0.25, 0.5, 0.75, 1, 1.25]);
    assert.equal(percentile(buffer.values(), 99), 1.25);
  });

  it('is empty until something is pushed', () => {
    const buffer = new SampleBuffer();
    assert.equal(buffer.length, 0);
    assert.equal(buffer.values().length, 0);
  });
});

describe('rateSustained', () => {
  it('requires at least 95 % of the target rate by default', () => {
    assert.equal(MIN_RATE_FRACTION, 0.95);
    assert.equal(rateSustained(1000, 1000), true);
    assert.equal(rateSustained(950, 1000), true);
    assert.equal(rateSustained(949, 1000), false);
    assert.equal(rateSustained(1020, 1000), true);
  });

  it('takes another threshold and rejects a non-positive target', () => {
    assert.equal(rateSustained(800, 1000, 0.8), true);
    assert.equal(rateSustained(799, 1000, 0.8), false);
    assert.throws(() => rateSustained(1, 0), RangeError);
  });
});
