import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { addBucket, bucketDelta, histogramQuantile, type Buckets } from './histogram.js';

const INF = Number.POSITIVE_INFINITY;
const buckets = (pairs: Array<[number, number]>): Buckets => new Map(pairs);

describe('histogramQuantile (as PromQL computes it)', () => {
  it('interpolates inside the bucket holding the rank, from 0 for the first bucket', () => {
    // 100 observations: 50 ≤ 0.1, 40 in (0.1, 0.5], 10 in (0.5, 1].
    const h = buckets([[0.1, 50], [0.5, 90], [1, 100], [INF, 100]]);
    assert.equal(histogramQuantile(0.5, h), 0.1);
    assert.equal(histogramQuantile(0.25, h), 0.05);
    assert.ok(Math.abs((histogramQuantile(0.95, h) as number) - 0.75) < 1e-9);
  });

  it('answers the largest finite bound for a rank in +Inf, and undefined with no observations', () => {
    assert.equal(histogramQuantile(0.99, buckets([[0.1, 1], [1, 2], [INF, 10]])), 1);
    assert.equal(histogramQuantile(0.95, buckets([[0.1, 0], [INF, 0]])), undefined);
    assert.equal(histogramQuantile(0.95, buckets([[0.1, 5]])), undefined);
    assert.equal(histogramQuantile(0.95, new Map()), undefined);
  });

  it('sums series bucket by bucket and takes differences, restarting on a counter reset', () => {
    const sum: Buckets = new Map();
    addBucket(sum, 0.1, 2);
    addBucket(sum, 0.1, 3);
    addBucket(sum, INF, 7);
    assert.deepEqual([...sum], [[0.1, 5], [INF, 7]]);
    assert.deepEqual([...bucketDelta(buckets([[0.1, 5], [INF, 7]]), buckets([[0.1, 8], [INF, 12]]))], [[0.1, 3], [INF, 5]]);
    assert.deepEqual([...bucketDelta(buckets([[0.1, 50], [INF, 70]]), buckets([[0.1, 1], [INF, 2]]))], [[0.1, 1], [INF, 2]]);
  });
});
