/**
 * Serialises generated configuration deterministically: object keys sorted at every level,
 * two-space indentation and a trailing newline, so regenerating an unchanged dashboard
 * never produces a diff, whatever order the builders set properties in.
 */

/** A JSON value. */
export type Json = null | boolean | number | string | Json[] | { [key: string]: Json };

/** Returns a copy of `value` with every object's keys in sorted order (arrays keep their order). */
export function sortKeys(value: unknown): Json {
  if (Array.isArray(value)) return value.map(sortKeys);
  if (value !== null && typeof value === 'object') {
    const out: { [key: string]: Json } = {};
    for (const key of Object.keys(value).sort()) {
      const child = (value as Record<string, unknown>)[key];
      // undefined is not JSON: drop it as JSON.stringify would, but before sorting.
      if (child !== undefined && typeof child !== 'function') out[key] = sortKeys(child);
    }
    return out;
  }
  if (typeof value === 'number' && !Number.isFinite(value)) throw new Error(`cannot serialise ${value} as JSON`);
  return value as Json;
}

/** Stable JSON text: sorted keys, 2-space indentation, trailing newline. */
export function stableJson(value: unknown): string {
  return `${JSON.stringify(sortKeys(value), null, 2)}\n`;
}
