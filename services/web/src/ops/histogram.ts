/** Cumulative bucket counts by upper bound (`le`), as a histogram's `_bucket` series give them. */
export type Buckets = Map<number, number>;

/** Adds `count` to the bucket `le` (summing the series of several routes). */
export function addBucket(buckets: Buckets, le: number, count: number): void {
  buckets.set(le, (buckets.get(le) ?? 0) + count);
}

/** `later - earlier` per bucket (what was observed in between); a counter reset counts from zero. */
export function bucketDelta(earlier: Buckets, later: Buckets): Buckets {
  const out: Buckets = new Map();
  const reset = [...later].some(([le, count]) => count < (earlier.get(le) ?? 0));
  for (const [le, count] of later) out.set(le, reset ? count : count - (earlier.get(le) ?? 0));
  return out;
}

/**
 * The q-quantile of a histogram, the way PromQL's `histogram_quantile` computes it: find the
 * bucket holding the rank and interpolate linearly inside it (from 0 for the first bucket).
 * A rank in the +Inf bucket answers the largest finite bound. Undefined with no observations.
 */
export function histogramQuantile(q: number, buckets: Buckets): number | undefined {
  const sorted = [...buckets].sort((a, b) => a[0] - b[0]);
  const total = sorted.at(-1)?.[1] ?? 0;
  if (total <= 0 || sorted.at(-1)?.[0] !== Number.POSITIVE_INFINITY) return undefined;
  const rank = q * total;
  let lowerBound = 0;
  let lowerCount = 0;
  for (const [le, count] of sorted) {
    if (count >= rank) {
      if (le === Number.POSITIVE_INFINITY) return lowerBound;
      if (count === lowerCount) return le;
      return lowerBound + ((le - lowerBound) * (rank - lowerCount)) / (count - lowerCount);
    }
    lowerBound = le;
    lowerCount = count;
  }
  return lowerBound;
}
