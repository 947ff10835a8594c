/**
 * Small statistics helpers for the benchmarks: medians across rounds, exact percentiles of
 * latency samples, ratios and target verdicts, and the round-by-round arm order.
 */

/**
 * The median of `values` (mean of the two middle values for an even count).
 * @throws RangeError on an empty input or a non-finite value.
 */
export function median(values: readonly number[]): number {
  if (values.length === 0) throw new RangeError('median of an empty list');
  for (const v of values) if (!Number.isFinite(v)) throw new RangeError(`median of a non-finite value: ${v}`);
  const sorted = [...values].sort((a, b) => a - b);
  const mid = sorted.length >> 1;
  return sorted.length % 2 === 1 ? (sorted[mid] as number) : ((sorted[mid - 1] as number) + (sorted[mid] as number)) / 2;
}

/**
 * The `p`-th percentile (0 < p ≤ 100) of `values` by the nearest-rank method: the smallest
 * value with at least p % of the samples at or below it. Sorts a copy.
 * @throws RangeError on an empty input or p outside (0, 100].
 */
export function percentile(values: ArrayLike<number>, p: number): number {
  if (values.length === 0) throw new RangeError('percentile of an empty list');
  if (!(p > 0 && p <= 100)) throw new RangeError(`percentile must be in (0, 100], got ${p}`);
  const sorted = Float64Array.from(values).sort();
  const rank = Math.ceil((p / 100) * sorted.length);
  return sorted[Math.min(sorted.length, Math.max(1, rank)) - 1] as number;
}

/**
 * `value / baseline`, e.g. full-observability req/s over bare req/s.
 * @throws RangeError when the baseline is zero or either side is not finite.
 */
export function ratio(value: number, baseline: number): number {
  if (!Number.isFinite(value) || !Number.isFinite(baseline)) throw new RangeError(`ratio of non-finite values ${value}/${baseline}`);
  if (baseline === 0) throw new RangeError('ratio against a zero baseline');
  return value / baseline;
}

/** Whether a measured figure must stay at or above (`min`) or at or below (`max`) its target. */
export type TargetKind = 'min' | 'max';

/** `PASS` when `value` meets `target` in the direction of `kind`, else `FAIL`. */
export function verdict(value: number, target: number, kind: TargetKind): 'PASS' | 'FAIL' {
  return (kind === 'min' ? value >= target : value <= target) ? 'PASS' : 'FAIL';
}

/**
 * The order arms run in during `round` (0-based): as given on even rounds, reversed on odd
 * rounds, so slow drift of a noisy machine does not systematically favour one arm.
 */
export function roundOrder<T>(arms: readonly T[], round: number): T[] {
  return round % 2 === 0 ? [...arms] : [...arms].reverse();
}

/** Formats a number with a fixed count of decimals and thin grouping (`12 345.6`). */
export function fmt(value: number, decimals = 0): string {
  if (!Number.isFinite(value)) return String(value);
  const [int, frac] = Math.abs(value).toFixed(decimals).split('.');
  const grouped = (int as string).replace(/\B(?=(\d{3})+(?!\d))/g, ' ');
  return `${value < 0 ? '−' : ''}${grouped}${frac ? `.${frac}` : ''}`;
}

/** Formats a ratio as a percentage (`0.734` → `73.4 %`). */
export function pct(value: number, decimals = 1): string {
  return `${(value * 100).toFixed(decimals)} %`;
}

/**
 * A growable buffer of latency samples (ms) backed by a Float64Array, so a window of
 * hundreds of thousands of responses costs no per-sample allocation.
 */
export class SampleBuffer {
  #values: Float64Array;
  #length = 0;

  constructor(initialCapacity = 1 << 16) {
    this.#values = new Float64Array(Math.max(1, initialCapacity));
  }

  /** Appends one sample, doubling the capacity when full. */
  push(value: number): void {
    if (this.#length === this.#values.length) {
      const grown = new Float64Array(this.#values.length * 2);
      grown.set(this.#values);
      this.#values = grown;
    }
    this.#values[this.#length++] = value;
  }

  /** How many samples were pushed. */
  get length(): number {
    return this.#length;
  }

  /** The samples pushed so far (a view, not a copy). */
  values(): Float64Array {
    return this.#values.subarray(0, this.#length);
  }
}

/** The share of a fixed target rate that must actually be achieved for its latencies to count. */
export const MIN_RATE_FRACTION = 0.95;

/** Whether `achievedRps` reached at least `minFraction` of `targetRps` (the paced rate was sustained). */
export function rateSustained(achievedRps: number, targetRps: number, minFraction = MIN_RATE_FRACTION): boolean {
  if (!(targetRps > 0)) throw new RangeError(`target rate must be positive, got ${targetRps}`);
  return achievedRps >= targetRps * minFraction;
}
